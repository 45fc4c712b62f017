export { Input } from '../pipeline/inputs.js';

export enum Output {
  MkosiVersion = 'mkosi-version',
  Image = 'image',
  OutputDirectory = 'output-directory',
  Artifacts = 'artifacts',
  Config = 'config',
  Logs = 'logs',
  BootResult = 'boot-result',
  FailedUnits = 'failed-units',
  Checksums = 'checksums',
  SigningFingerprint = 'signing-fingerprint',
  ArtifactId = 'artifact-id',
  ArtifactUrl = 'artifact-url',
  ReleaseUrl = 'release-url',
  Reproducible = 'reproducible',
  DiffReport = 'diff-report',
}

export enum State {
  /** JSON of MainState: what post needs to know about main's run. */
  Main = 'mkosi-ci-main',
}

export interface MainState {
  workDir: string;
  logsDir: string;
  succeeded: boolean;
  /** Set when post should upload the logs and reports as an artifact. */
  logsArtifact?: { name: string; retentionDays: number | undefined };
}
