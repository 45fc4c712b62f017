import type http from 'node:http';
import { ARTIFACT_SERVICE, CACHE_SERVICE, type LoggedRequest, type TwirpMethod } from './types.js';

/** Twirp JSON: the routes, the error codes and the request/answer plumbing shared by both services. */

export const TWIRP_METHODS: Record<string, readonly TwirpMethod[]> = {
  [CACHE_SERVICE]: ['CreateCacheEntry', 'FinalizeCacheEntryUpload', 'GetCacheEntryDownloadURL'],
  [ARTIFACT_SERVICE]: [
    'CreateArtifact',
    'FinalizeArtifact',
    'ListArtifacts',
    'GetSignedArtifactURL',
    'DeleteArtifact',
  ],
};

const TWIRP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412,
  resource_exhausted: 429,
  internal: 500,
  unavailable: 503,
};

export class TwirpError extends Error {
  constructor(
    readonly code: keyof typeof TWIRP_STATUS,
    message: string,
  ) {
    super(message);
  }
}

export type TwirpHandler = (body: Record<string, unknown>) => Record<string, unknown>;

export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Answers one Twirp call: POST only, the runtime token, a JSON body, errors as `{code, msg}`. */
export async function handleTwirp(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  entry: LoggedRequest,
  handler: TwirpHandler,
  token: string,
): Promise<void> {
  const send = (status: number, body: unknown): void => {
    entry.status = status;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  try {
    if (req.method !== 'POST') throw new TwirpError('invalid_argument', 'twirp calls must be POST');
    if (req.headers.authorization !== `Bearer ${token}`) throw new TwirpError('unauthenticated', 'bad token');
    const raw = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw new TwirpError('invalid_argument', 'body is not JSON');
    }
    entry.body = body;
    send(200, handler(body));
  } catch (error) {
    if (error instanceof TwirpError)
      send(TWIRP_STATUS[error.code] ?? 500, { code: error.code, msg: error.message });
    else send(500, { code: 'internal', msg: String(error) });
  }
}
