import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** The path UEFI firmware starts from removable media when it has no boot entry (x86-64). */
export const REMOVABLE_MEDIA_LOADER = 'EFI/BOOT/BOOTX64.EFI';

/**
 * A UKI booted through UEFI the way firmware boots it from a USB stick: as the removable-media loader
 * of a FAT filesystem. Returns the directory qemu turns into that FAT disk (vvfat), under `workDir`.
 * The UKI is hard-linked when it can be (same filesystem), else copied; never moved or written.
 */
export async function ukiEspDirectory(workDir: string, uki: string): Promise<string> {
  const esp = path.join(workDir, 'uki-esp');
  await rm(esp, { recursive: true, force: true });
  const loader = path.join(esp, REMOVABLE_MEDIA_LOADER);
  await mkdir(path.dirname(loader), { recursive: true });
  await link(uki, loader).catch(() => copyFile(uki, loader));
  return esp;
}
