import * as core from '@actions/core';
import type { Annotation, Log } from '../ports.js';

function properties(annotation: Annotation | undefined): core.AnnotationProperties {
  return { file: annotation?.file, startLine: annotation?.line, title: annotation?.title };
}

/** The Log port on the runner: workflow commands for groups, annotations and masking. */
export const actionsLog: Log = {
  info: (message) => core.info(message),
  warning: (message, annotation) => core.warning(message, properties(annotation)),
  error: (message, annotation) => core.error(message, properties(annotation)),
  debug: (message) => core.debug(message),
  group: (name, fn) => core.group(name, fn),
  mask: (secret) => core.setSecret(secret),
};
