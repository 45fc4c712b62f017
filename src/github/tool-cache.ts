import * as tc from '@actions/tool-cache';
import type { ToolCache } from '../ports.js';

/** The ToolCache port on the runner: the hosted tool cache that persists on self-hosted runners. */
export const actionsToolCache: ToolCache = {
  find: async (tool, version) => tc.find(tool, version) || undefined,
  download: (url) => tc.downloadTool(url),
  extractTar: (file, dest) => tc.extractTar(file, dest),
  cacheFile: (file, name, tool, version) => tc.cacheFile(file, name, tool, version),
};
