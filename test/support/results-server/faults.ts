import type http from 'node:http';
import { Transform } from 'node:stream';
import type { ServerState } from './state.js';
import { sendStorageError } from './storage-answers.js';
import { readBody } from './twirp.js';
import type { Fault, LoggedRequest } from './types.js';

/**
 * Fault injection: the next N requests matching a fault answer 500 or 429, hang, or (blob GETs) get
 * corrupt bytes.
 */

function endpointMatches(fault: Fault, entry: LoggedRequest): boolean {
  const ep = fault.spec.endpoint;
  if (ep === 'twirp') return !entry.endpoint.startsWith('blob:') && entry.endpoint !== 'other';
  if (ep === 'blob') return entry.endpoint.startsWith('blob:');
  return Array.isArray(ep) ? ep.includes(entry.endpoint) : ep === entry.endpoint;
}

/** The first fault with hits left that matches the request, counted as hit. */
export function takeFault(faults: readonly Fault[], entry: LoggedRequest): Fault | undefined {
  for (const f of faults) {
    if (f.hits >= f.times) continue;
    if (!endpointMatches(f, entry)) continue;
    if (f.kind === 'corrupt' && entry.endpoint !== 'blob:get') continue;
    if (f.spec.match && !f.spec.match(entry)) continue;
    f.hits++;
    return f;
  }
  return undefined;
}

/** XORs `count` bytes starting at absolute blob offset `at` in a stream that begins at `offset`. */
export function corrupter(offset: number, at: number, count: number): Transform {
  let pos = offset;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const from = Math.max(at, pos);
      const to = Math.min(at + count, pos + chunk.length);
      if (from < to) {
        chunk = Buffer.from(chunk);
        for (let i = from; i < to; i++) chunk[i - pos] = chunk[i - pos]! ^ 0xff;
      }
      pos += chunk.length;
      done(null, chunk);
    },
  });
}

/** Holds the connection open: until the server closes, or for `hangMs`. */
function hang(state: ServerState, req: http.IncomingMessage, fault: Fault): void {
  const socket = req.socket;
  state.hanging.add(socket);
  socket.on('close', () => state.hanging.delete(socket));
  if (fault.spec.hangMs !== undefined) setTimeout(() => socket.destroy(), fault.spec.hangMs).unref();
}

/** Answers a request with its fault (anything but corrupt, which the blob GET applies itself). */
export function answerFault(
  state: ServerState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  entry: LoggedRequest,
  fault: Fault,
  twirp: boolean,
): void {
  entry.fault = fault.kind;
  if (twirp) {
    // Keep the body in the log, so tests can tell which call was hit.
    void readBody(req).then(
      (raw) => {
        try {
          entry.body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          // not JSON: leave it out
        }
      },
      () => undefined,
    );
  } else {
    // Drain the body so the client sees the answer rather than a write error.
    req.resume();
  }
  if (fault.kind === 'hang') return hang(state, req, fault);
  const status = fault.kind === '429' ? 429 : 500;
  entry.status = status;
  const extra: Record<string, string> =
    fault.kind === '429' && fault.spec.retryAfterSeconds !== undefined
      ? { 'retry-after': String(fault.spec.retryAfterSeconds) }
      : {};
  if (twirp) {
    const code = status === 429 ? 'resource_exhausted' : 'internal';
    const msg = status === 429 ? 'rate limit exceeded' : 'injected internal error';
    res
      .writeHead(status, { 'content-type': 'application/json', ...extra })
      .end(JSON.stringify({ code, msg }));
  } else {
    const code = status === 429 ? 'ServerBusy' : 'InternalError';
    sendStorageError(req, res, status, code, `Injected fault ${status}.`, extra);
  }
}
