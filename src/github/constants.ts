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
}
