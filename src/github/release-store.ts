import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { PublishedRelease, ReleaseAsset, ReleaseStore } from '../ports.js';
import { githubAssetName, githubKeepsName } from './asset-names.js';

export interface GitHubApiSettings {
  /** GITHUB_API_URL, e.g. https://api.github.com */
  apiUrl: string;
  /** owner/name */
  repository: string;
  token: string;
  /** The commit a new tag is created at (GITHUB_SHA). */
  commit: string | undefined;
  /** The unit of the retry back-off (1 s against GitHub; tests make it short). */
  retryBaseMs?: number;
}

type Octokit = ReturnType<typeof getOctokit>;

interface Release {
  id: number;
  html_url: string;
  upload_url: string;
}

interface Asset {
  id: number;
  name: string;
}

/** Attempts of one asset upload; each sends the file afresh, which Octokit's own retry cannot. */
const UPLOAD_ATTEMPTS = 3;
/** How often a request that hit a rate limit is tried again after the wait GitHub asks for. */
const RATE_LIMIT_RETRIES = 2;
/** Uploads left by an earlier run that failed between upload and swap; ours, so safe to remove. */
const TEMPORARY_SUFFIX = /\.mkosi-ci-upload-[0-9a-f]{8}$/;

interface ApiError {
  status: number;
  request?: { method?: string; url?: string };
  response?: { data?: unknown };
  message: string;
}

function isApiError(error: unknown): error is ApiError {
  return typeof (error as ApiError | undefined)?.status === 'number';
}

/** GitHub's refusal in the words the user can act on; other errors unchanged. */
function explained(error: unknown): unknown {
  if (!isApiError(error)) return error;
  const url = error.request?.url;
  const what = `${error.request?.method ?? ''} ${url ? new URL(url).pathname : ''}`.trim();
  const data = error.response?.data as { message?: unknown } | undefined;
  const message = typeof data?.message === 'string' ? data.message : error.message;
  if (error.status === 401 || error.status === 403) {
    return new ConfigurationError(
      `Input ${Input.GithubToken}: GitHub refused ${what} (${error.status} ${message}); the job needs \`permissions: contents: write\` for releases.`,
    );
  }
  return new Error(`GitHub answered ${error.status} to ${what}: ${message}`);
}

async function explain<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explained(error);
  }
}

/** A failed upload worth sending again: the connection broke or GitHub failed (5xx). */
function transient(error: unknown): boolean {
  return !isApiError(error) || error.status >= 500;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Releases through the bundled Octokit, with its retry (5xx) and throttling (rate limits, spaced writes)
 * plugins. An asset that is already there is replaced without a moment in which the release lacks it:
 * the new file is uploaded under a temporary name first, and only then is the old one deleted and the
 * new one renamed; a failed upload leaves the old asset as it was.
 */
export class GitHubReleaseStore implements ReleaseStore {
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;
  private readonly retryBaseMs: number;

  constructor(private readonly api: GitHubApiSettings) {
    [this.owner, this.repo] = api.repository.split('/') as [string, string];
    this.retryBaseMs = api.retryBaseMs ?? 1_000;
    this.octokit = getOctokit(
      api.token,
      {
        baseUrl: api.apiUrl.replace(/\/+$/, ''),
        userAgent: 'mkosi-ci',
        retry: { retryAfterBaseValue: this.retryBaseMs },
        throttle: {
          retryAfterBaseValue: this.retryBaseMs,
          onRateLimit: (_after: number, _options: unknown, _octokit: unknown, count: number) =>
            count < RATE_LIMIT_RETRIES,
          onSecondaryRateLimit: (_after: number, _options: unknown, _octokit: unknown, count: number) =>
            count < RATE_LIMIT_RETRIES,
        },
      },
      retry,
      throttling,
    );
  }

  private get where(): { owner: string; repo: string } {
    return { owner: this.owner, repo: this.repo };
  }

  private async findOrCreate(tag: string): Promise<{ release: Release; created: boolean }> {
    try {
      const { data } = await this.octokit.rest.repos.getReleaseByTag({ ...this.where, tag });
      return { release: data, created: false };
    } catch (error) {
      if (!isApiError(error) || error.status !== 404) throw explained(error);
    }
    const { data } = await explain(() =>
      this.octokit.rest.repos.createRelease({
        ...this.where,
        tag_name: tag,
        name: tag,
        ...(this.api.commit ? { target_commitish: this.api.commit } : {}),
      }),
    );
    return { release: data, created: true };
  }

  private assets(release: Release): Promise<Asset[]> {
    return explain(() =>
      this.octokit.paginate(this.octokit.rest.repos.listReleaseAssets, {
        ...this.where,
        release_id: release.id,
        per_page: 100,
      }),
    );
  }

  private deleteAsset(asset: Asset): Promise<unknown> {
    return explain(() => this.octokit.rest.repos.deleteReleaseAsset({ ...this.where, asset_id: asset.id }));
  }

  /** Uploads `asset` as `name`, sending the file afresh on each attempt. */
  private async upload(release: Release, asset: ReleaseAsset, name: string): Promise<Asset> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { data } = await this.octokit.request({
          method: 'POST',
          url: release.upload_url,
          name,
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(asset.size) },
          data: createReadStream(asset.path),
          // A stream cannot be sent twice: this loop retries, not the plugin.
          request: { retries: 0 },
        });
        return data as Asset;
      } catch (error) {
        // GitHub may keep what a failed upload started (state "starter") under the name: it is ours.
        await this.removeNamed(release, name).catch(() => undefined);
        if (attempt >= UPLOAD_ATTEMPTS || !transient(error)) throw explained(error);
        await sleep(this.retryBaseMs * attempt ** 2);
      }
    }
  }

  private async removeNamed(release: Release, name: string): Promise<void> {
    for (const asset of await this.assets(release)) {
      if (asset.name === name) await this.deleteAsset(asset);
    }
  }

  /** Upload under a temporary name, then delete the old asset and give the new one its name. */
  private async replace(release: Release, old: Asset, asset: ReleaseAsset): Promise<void> {
    const temporary = `${asset.name}.mkosi-ci-upload-${randomBytes(4).toString('hex')}`;
    const fresh = await this.upload(release, asset, temporary);
    await this.deleteAsset(old);
    try {
      await this.octokit.rest.repos.updateReleaseAsset({
        ...this.where,
        asset_id: fresh.id,
        name: asset.name,
      });
    } catch (error) {
      throw new Error(
        `The new ${asset.name} is on the release as ${temporary}, but renaming it failed: ${String((explained(error) as Error).message)}`,
      );
    }
  }

  async publish(tag: string, assets: readonly ReleaseAsset[]): Promise<PublishedRelease> {
    const renamed = assets.filter((a) => !githubKeepsName(a.name));
    if (renamed.length > 0) {
      const list = renamed.map((a) => `'${a.name}' (as '${githubAssetName(a.name)}')`).join(', ');
      throw new ConfigurationError(
        `Input ${Input.Release}: GitHub would rename the release asset(s) ${list}, and SHA256SUMS would no longer match what is downloaded; name the outputs with letters, digits, '.', '_' and '-' only (mkosi's ImageId=, ImageVersion=, Output=).`,
      );
    }
    const { release, created } = await this.findOrCreate(tag);
    const existing = await this.assets(release);
    for (const leftover of existing.filter((a) => TEMPORARY_SUFFIX.test(a.name))) {
      await this.deleteAsset(leftover);
    }
    const replaced: string[] = [];
    const uploaded: string[] = [];
    for (const asset of assets) {
      const old = existing.find((a) => a.name === asset.name);
      if (old) {
        await this.replace(release, old, asset);
        replaced.push(asset.name);
      } else {
        await this.upload(release, asset, asset.name);
      }
      uploaded.push(asset.name);
    }
    return { tag, url: release.html_url, created, uploaded, replaced };
  }
}
