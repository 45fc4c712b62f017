import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { PublishedRelease, ReleaseAsset, ReleaseStore } from '../ports.js';

export interface GitHubApiSettings {
  /** GITHUB_API_URL, e.g. https://api.github.com */
  apiUrl: string;
  /** owner/name */
  repository: string;
  token: string;
  /** The commit a new tag is created at (GITHUB_SHA). */
  commit: string | undefined;
}

interface Release {
  id: number;
  html_url: string;
  upload_url: string;
}

interface Asset {
  id: number;
  name: string;
}

class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const PAGE = 100;

/** The few REST calls a release needs, over fetch: find or create it, list, delete and upload assets. */
export class GitHubReleaseStore implements ReleaseStore {
  constructor(private readonly api: GitHubApiSettings) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${this.api.token}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'mkosi-ci',
      ...extra,
    };
  }

  private async call<T>(method: string, url: string, init: RequestInit = {}): Promise<T | undefined> {
    const response = await fetch(url, {
      ...init,
      method,
      headers: this.headers(init.headers as Record<string, string>),
    });
    if (response.status === 404 && method === 'GET') return undefined;
    if (!response.ok) {
      const body = await response.text();
      let message = body.slice(0, 300);
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? message;
      } catch {
        // Not JSON: keep the text.
      }
      const what = `${method} ${new URL(url).pathname}`;
      if (response.status === 401 || response.status === 403) {
        throw new ConfigurationError(
          `Input ${Input.GithubToken}: GitHub refused ${what} (${response.status} ${message}); the job needs \`permissions: contents: write\` for releases.`,
        );
      }
      throw new GitHubApiError(response.status, `GitHub answered ${response.status} to ${what}: ${message}`);
    }
    return response.status === 204 ? undefined : ((await response.json()) as T);
  }

  private repo(path: string): string {
    return `${this.api.apiUrl.replace(/\/+$/, '')}/repos/${this.api.repository}${path}`;
  }

  private async findOrCreate(tag: string): Promise<{ release: Release; created: boolean }> {
    const found = await this.call<Release>('GET', this.repo(`/releases/tags/${encodeURIComponent(tag)}`));
    if (found) return { release: found, created: false };
    const body = {
      tag_name: tag,
      name: tag,
      ...(this.api.commit ? { target_commitish: this.api.commit } : {}),
    };
    const created = await this.call<Release>('POST', this.repo('/releases'), {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    return { release: created!, created: true };
  }

  private async assets(release: Release): Promise<Asset[]> {
    const all: Asset[] = [];
    for (let page = 1; ; page++) {
      const batch =
        (await this.call<Asset[]>(
          'GET',
          this.repo(`/releases/${release.id}/assets?per_page=${PAGE}&page=${page}`),
        )) ?? [];
      all.push(...batch);
      if (batch.length < PAGE) return all;
    }
  }

  private async upload(release: Release, asset: ReleaseAsset): Promise<void> {
    const url = new URL(release.upload_url.replace(/\{[^}]*\}$/, ''));
    url.searchParams.set('name', asset.name);
    await this.call('POST', url.toString(), {
      body: Readable.toWeb(createReadStream(asset.path)) as ReadableStream,
      duplex: 'half',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(asset.size) },
    } as RequestInit);
  }

  async publish(tag: string, assets: readonly ReleaseAsset[]): Promise<PublishedRelease> {
    const { release, created } = await this.findOrCreate(tag);
    const existing = new Map((await this.assets(release)).map((a) => [a.name, a]));
    const replaced: string[] = [];
    const uploaded: string[] = [];
    for (const asset of assets) {
      const old = existing.get(asset.name);
      if (old) {
        await this.call('DELETE', this.repo(`/releases/assets/${old.id}`));
        replaced.push(asset.name);
      }
      await this.upload(release, asset);
      uploaded.push(asset.name);
    }
    return { tag, url: release.html_url, created, uploaded, replaced };
  }
}
