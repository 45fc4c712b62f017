import type { PublishResult } from '../pipeline/publish.js';
import { cell, formatBytes, formatDuration } from './format.js';

function compression(level: number): string {
  return level === 0 ? 'stored, the files are already compressed' : `deflate level ${level}`;
}

function totalBytes(result: PublishResult): number {
  return result.files.reduce((sum, f) => sum + f.size, 0);
}

/** The publish part of the job summary: what SHA256SUMS covers, who signed it, where the files went. */
export function publishMarkdown(result: PublishResult): string[] {
  const lines = [
    '### Publish',
    '',
    `- \`SHA256SUMS\`: ${result.files.length} files, ${formatBytes(totalBytes(result))}`,
  ];
  const signature = result.signature;
  if (signature) {
    lines.push(
      `- \`SHA256SUMS.gpg\`: signed by \`${signature.key.fingerprint}\`${signature.key.userId ? ` (${cell(signature.key.userId)})` : ''}; verified with the public key alone (\`signing-key.asc\`)`,
    );
  } else {
    lines.push('- not signed (no `sign-key`)');
  }
  const artifact = result.artifact;
  if (artifact) {
    const name = artifact.url ? `[\`${artifact.name}\`](${artifact.url})` : `\`${artifact.name}\``;
    lines.push(
      `- artifact ${name}: ${artifact.files} files, ${formatBytes(artifact.bytes)} zipped to ${formatBytes(artifact.size)} (${compression(artifact.compressionLevel)}) in ${formatDuration(artifact.durationMs)}`,
    );
  }
  const release = result.release;
  if (release) {
    const replaced = release.replaced.length ? `, ${release.replaced.length} replaced` : '';
    lines.push(
      `- release [${cell(release.tag)}](${release.url})${release.created ? ' (created)' : ''}: ${release.uploaded.length} assets uploaded${replaced}`,
    );
  }
  for (const note of result.notes) lines.push(`- ${cell(note)}`);
  return lines;
}

export function publishText(result: PublishResult): string[] {
  const lines = [
    `SHA256SUMS: ${result.files.length} files, ${formatBytes(totalBytes(result))}: ${result.checksumsFile}`,
  ];
  const signature = result.signature;
  if (signature) {
    lines.push(
      `SHA256SUMS.gpg: signed by ${signature.key.fingerprint}${signature.key.userId ? ` (${signature.key.userId})` : ''}, verified: ${signature.file}`,
      `public key: ${signature.publicKeyFile}`,
    );
  }
  if (result.artifact) lines.push(`artifact: ${result.artifact.name} (id ${result.artifact.id})`);
  if (result.release) lines.push(`release: ${result.release.url}`);
  lines.push(...result.notes);
  return lines;
}
