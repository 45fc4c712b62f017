/**
 * What of mkosi-ci's own environment its children (mkosi, and through it the user's sync, configure,
 * build and postinst scripts) may see. Everything stays but the credentials and channels of the CI
 * platform itself: a build script has no business with the job's tokens, the action's inputs (the
 * signing key and passphrase arrive as INPUT_SIGN-KEY and INPUT_SIGN-PASSPHRASE) or the files through
 * which a step sets the outputs and environment of the steps after it.
 */

/** GitLab's job credentials: withheld from children and masked in every log. */
const GITLAB_CREDENTIALS = [
  'CI_JOB_TOKEN',
  'CI_JOB_JWT',
  'CI_JOB_JWT_V1',
  'CI_JOB_JWT_V2',
  'CI_REGISTRY_PASSWORD',
  'CI_DEPLOY_PASSWORD',
  'CI_DEPENDENCY_PROXY_PASSWORD',
];

/** Prefixes of variables no child gets: action inputs, the runner's service credentials and URLs, post state. */
const WITHHELD_PREFIXES = ['INPUT_', 'ACTIONS_', 'STATE_'];

const WITHHELD_NAMES = new Set([
  // GitHub: a token a workflow often exports for every step.
  'GITHUB_TOKEN',
  // GitHub: the command files. A child writing to them would set outputs, state or the environment and
  // PATH of the later steps, the same workflow commands the log is fenced against.
  'GITHUB_ENV',
  'GITHUB_OUTPUT',
  'GITHUB_PATH',
  'GITHUB_STATE',
  'GITHUB_STEP_SUMMARY',
  // GitLab: the job's own credentials (CI_REPOSITORY_URL carries the job token in its user part).
  ...GITLAB_CREDENTIALS,
  'CI_REPOSITORY_URL',
]);

export function isWithheld(name: string): boolean {
  const upper = name.toUpperCase();
  return WITHHELD_NAMES.has(upper) || WITHHELD_PREFIXES.some((p) => upper.startsWith(p));
}

/** The base environment of every child: `env` without the withheld variables. */
export function childEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !isWithheld(name)));
}

/** Variables whose values are credentials: masked in every log, even though no child gets them. */
const CREDENTIALS = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'GITHUB_TOKEN',
  ...GITLAB_CREDENTIALS,
];

/** The credential values in `env`, to hand to the Log's mask(). */
export function environmentSecrets(env: NodeJS.ProcessEnv): string[] {
  return CREDENTIALS.map((name) => env[name]).filter(
    (value): value is string => !!value && value.trim() !== '',
  );
}
