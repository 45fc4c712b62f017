import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { STORAGE_VERSION } from './state.js';

/** How Azure Blob storage answers: its common headers and its XML errors. */

export class StorageError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function storageHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ms-request-id': randomUUID(),
    'x-ms-version': String(req.headers['x-ms-version'] ?? STORAGE_VERSION),
    date: new Date().toUTCString(),
    server: 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0',
  };
  const clientRequestId = req.headers['x-ms-client-request-id'];
  if (typeof clientRequestId === 'string') headers['x-ms-client-request-id'] = clientRequestId;
  return headers;
}

export function storageXmlError(code: string, message: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code>` +
    `<Message>${message}\nRequestId:${randomUUID()}\nTime:${new Date().toISOString()}</Message></Error>`
  );
}

/** An error answer with the storage headers, the error code header and (except for HEAD) the XML body. */
export function sendStorageError(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  res
    .writeHead(status, {
      ...storageHeaders(req),
      'content-type': 'application/xml',
      'x-ms-error-code': code,
      ...extra,
    })
    .end(req.method === 'HEAD' ? undefined : storageXmlError(code, message));
}
