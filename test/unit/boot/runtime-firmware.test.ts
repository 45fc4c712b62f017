import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFirmwareFitsImage, resolveFirmware } from '../../../src/boot/firmware.js';
import {
  firmwareSetting,
  firmwareSettingName,
  withFirmwareVariables,
} from '../../../src/boot/runtime-firmware.js';
import { ConfigurationError } from '../../../src/errors.js';
import { parseImage, parseSummary } from '../../../src/mkosi/config.js';

const summary = readFileSync(new URL('../../fixtures/summary/debian-bootable.json', import.meta.url), 'utf8');
const main = parseSummary(summary).main;
const ovmf = { code: '/tree/OVMF_CODE.fd', varsTemplate: '/tree/OVMF_VARS.fd' };

describe("mkosi's Firmware=", () => {
  it('is read from the summary (auto by default) and used when boot-firmware is auto', () => {
    expect(main.firmware).toBe('auto');
    expect(parseImage({ ...JSON.parse(summary).Images[1], Firmware: 'uefi' }).firmware).toBe('uefi');
    expect(firmwareSetting('auto', 'auto')).toEqual({ choice: 'auto', source: 'default' });
    expect(firmwareSetting('auto', '')).toEqual({ choice: 'auto', source: 'default' });
    expect(firmwareSetting('auto', 'uefi')).toEqual({ choice: 'uefi', source: 'Firmware=' });
    expect(firmwareSetting('auto', 'linux')).toEqual({ choice: 'linux', source: 'Firmware=' });
    expect(firmwareSetting('auto', 'bios')).toEqual({ choice: 'bios', source: 'Firmware=' });
  });

  it('loses against the boot-firmware input when that is given', () => {
    expect(firmwareSetting('bios', 'uefi')).toEqual({ choice: 'bios', source: 'boot-firmware' });
    // A value the check cannot use does not matter when the input decides.
    expect(firmwareSetting('uefi', 'uefi-secure-boot')).toEqual({ choice: 'uefi', source: 'boot-firmware' });
  });

  it('refuses the values the check cannot boot with, naming Firmware= and the valid values', () => {
    for (const value of ['uefi-secure-boot', 'linux-noinitrd', 'coreboot']) {
      expect(() => firmwareSetting('auto', value)).toThrow(ConfigurationError);
      expect(() => firmwareSetting('auto', value)).toThrow(
        `Firmware= (mkosi's [Runtime]): ${value} is not one the boot check can use`,
      );
      expect(() => firmwareSetting('auto', value)).toThrow('valid: auto, uefi, bios, linux.');
    }
  });

  it('names Firmware= in the errors of a firmware that cannot start the image', () => {
    const name = firmwareSettingName(firmwareSetting('auto', 'linux').source);
    expect(() => checkFirmwareFitsImage('linux', main, name)).toThrow(
      "Firmware= (mkosi's [Runtime]): linux boots a UKI directly, and Format=disk",
    );
    expect(() => checkFirmwareFitsImage('linux', main)).toThrow('Input boot-firmware: linux boots a UKI');
    expect(() =>
      resolveFirmware('uefi', 'disk', '/i.raw', { ovmf: undefined, origin: 'the host' }, name),
    ).toThrow("Firmware= (mkosi's [Runtime]): uefi needs OVMF, and the host has none");
  });
});

describe("mkosi's FirmwareVariables=", () => {
  it('is unset by default: OVMF keeps its own template', async () => {
    expect(main.firmwareVariables).toBeUndefined();
    expect(await withFirmwareVariables(ovmf, main)).toEqual(ovmf);
    expect(await withFirmwareVariables(undefined, { firmwareVariables: '/x' })).toBeUndefined();
  });

  it("becomes the template of the run's variable store when it names a file", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vars-')), 'vars.fd');
    writeFileSync(file, 'vars');
    expect(await withFirmwareVariables(ovmf, { firmwareVariables: file })).toEqual({
      code: ovmf.code,
      varsTemplate: file,
    });
  });

  it('is refused, naming FirmwareVariables=, when the file is missing or a key enrolment is asked for', async () => {
    await expect(withFirmwareVariables(ovmf, { firmwareVariables: '/nonexistent/vars.fd' })).rejects.toThrow(
      "FirmwareVariables= (mkosi's [Runtime]): /nonexistent/vars.fd does not exist",
    );
    for (const special of ['microsoft', 'microsoft-mok', 'custom']) {
      await expect(withFirmwareVariables(ovmf, { firmwareVariables: special })).rejects.toThrow(
        `FirmwareVariables= (mkosi's [Runtime]): ${special} enrolls Secure Boot keys`,
      );
    }
  });
});
