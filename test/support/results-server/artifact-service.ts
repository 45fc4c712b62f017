import { signedUrl, type ServerState } from './state.js';
import { TwirpError, type TwirpHandler } from './twirp.js';
import type { ArtifactEntry } from './types.js';

/** The artifact service (v4) as @actions/artifact calls it, scoped to the run the token names. */

type ArtifactMethod =
  'CreateArtifact' | 'FinalizeArtifact' | 'ListArtifacts' | 'GetSignedArtifactURL' | 'DeleteArtifact';

function requireRunIds(state: ServerState, body: Record<string, unknown>): { run: string; job: string } {
  const run = String(body.workflow_run_backend_id ?? '');
  const job = String(body.workflow_job_run_backend_id ?? '');
  if (!run || !job) throw new TwirpError('invalid_argument', 'workflow run and job backend ids are required');
  if (run !== state.workflowRunBackendId)
    throw new TwirpError('permission_denied', 'workflow run backend id mismatch');
  return { run, job };
}

/** The finalized artifact of this run named in the body. */
function finalized(state: ServerState, body: Record<string, unknown>): ArtifactEntry {
  const { run } = requireRunIds(state, body);
  const name = String(body.name ?? '');
  const a = state.artifacts.find((x) => x.workflowRunBackendId === run && x.name === name && x.finalized);
  if (!a) throw new TwirpError('not_found', 'artifact not found');
  return a;
}

function listArtifacts(state: ServerState, body: Record<string, unknown>): Record<string, unknown> {
  const { run } = requireRunIds(state, body);
  const nameFilter = typeof body.name_filter === 'string' ? body.name_filter : undefined;
  const idFilter = body.id_filter !== undefined ? Number(body.id_filter) : undefined;
  const list = state.artifacts.filter(
    (a) =>
      a.finalized &&
      a.workflowRunBackendId === run &&
      (nameFilter === undefined || a.name === nameFilter) &&
      (idFilter === undefined || a.id === idFilter),
  );
  return {
    artifacts: list.map((a) => ({
      workflow_run_backend_id: a.workflowRunBackendId,
      workflow_job_run_backend_id: a.workflowJobRunBackendId,
      database_id: String(a.id),
      name: a.name,
      size: String(a.size ?? 0),
      created_at: a.createdAt.toISOString(),
      ...(a.digest ? { digest: a.digest } : {}),
    })),
  };
}

export function artifactService(state: ServerState): Record<ArtifactMethod, TwirpHandler> {
  return {
    CreateArtifact(body) {
      const { run, job } = requireRunIds(state, body);
      const name = String(body.name ?? '');
      if (!name) throw new TwirpError('invalid_argument', 'name is required');
      if (Number(body.version ?? 0) < 4)
        throw new TwirpError('invalid_argument', 'artifact version must be >= 4');
      if (state.artifacts.some((a) => a.workflowRunBackendId === run && a.name === name)) {
        throw new TwirpError(
          'already_exists',
          'an artifact with this name already exists on the workflow run',
        );
      }
      const id = state.nextArtifactId++;
      const blob = `actions-results/${run}/${job}/${id}/${name}.zip`;
      const mimeType = typeof body.mime_type === 'string' ? body.mime_type : undefined;
      state.artifacts.push({
        id,
        name,
        workflowRunBackendId: run,
        workflowJobRunBackendId: job,
        blob,
        finalized: false,
        createdAt: new Date(),
        ...(mimeType ? { mimeType } : {}),
        ...(typeof body.expires_at === 'string' ? { expiresAt: body.expires_at } : {}),
      });
      return {
        ok: true,
        signed_upload_url: signedUrl(
          state,
          'actions-results',
          blob.slice('actions-results/'.length),
          'racwt',
        ),
      };
    },
    FinalizeArtifact(body) {
      const { run } = requireRunIds(state, body);
      const name = String(body.name ?? '');
      const a = state.artifacts.find(
        (x) => x.workflowRunBackendId === run && x.name === name && !x.finalized,
      );
      if (!a) throw new TwirpError('not_found', 'artifact not found');
      const blob = state.blobs.get(a.blob);
      if (!blob) throw new TwirpError('failed_precondition', 'artifact has no uploaded blob');
      a.finalized = true;
      a.size = Number(body.size ?? blob.size);
      if (typeof body.hash === 'string') a.digest = body.hash;
      return { ok: true, artifact_id: String(a.id) };
    },
    ListArtifacts: (body) => listArtifacts(state, body),
    GetSignedArtifactURL(body) {
      const a = finalized(state, body);
      return {
        signed_url: signedUrl(state, 'actions-results', a.blob.slice('actions-results/'.length), 'r'),
      };
    },
    DeleteArtifact(body) {
      const a = finalized(state, body);
      state.artifacts = state.artifacts.filter((x) => x !== a);
      return { ok: true, artifact_id: String(a.id) };
    },
  };
}
