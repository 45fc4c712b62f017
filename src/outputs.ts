/**
 * The outputs of the action, which are also the fields of the CLI's `--json` result, one to one.
 * action.yml is checked against this list by a unit test.
 */
export enum Output {
  MkosiVersion = 'mkosi-version',
  Image = 'image',
  OutputDirectory = 'output-directory',
  Artifacts = 'artifacts',
  Config = 'config',
  Logs = 'logs',
  BootResult = 'boot-result',
  FailedUnits = 'failed-units',
  FailedTests = 'failed-tests',
  Checksums = 'checksums',
  SigningFingerprint = 'signing-fingerprint',
  ArtifactId = 'artifact-id',
  ArtifactUrl = 'artifact-url',
  ReleaseUrl = 'release-url',
  Reproducible = 'reproducible',
  DiffReport = 'diff-report',
  CacheHitPackages = 'cache-hit-packages',
  CacheHitIncremental = 'cache-hit-incremental',
  CacheHitToolsTree = 'cache-hit-tools-tree',
}
