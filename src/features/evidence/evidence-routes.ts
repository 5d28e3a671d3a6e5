import type { Readable } from 'node:stream';
import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { AppError } from '../../platform/errors.js';
import { type App, actorOf, errorResponses, Nullable } from '../../platform/http/app.js';
import { EVIDENCE_KINDS, FACT_KINDS, REPORT_KINDS } from './evidence.js';

export const EvidenceBody = Type.Object({
  id: Type.String(),
  release: Type.String(),
  kind: Type.Enum([...EVIDENCE_KINDS]),
  source: Type.String(),
  facts: Type.Record(Type.String(), Type.Unknown()),
  digest: Type.String(),
  actor: Type.String(),
  createdAt: Type.String(),
  supersededAt: Nullable(Type.String()),
});

const AddResultBody = Type.Object({ evidence: EvidenceBody, changed: Type.Boolean(), replaced: Nullable(Type.String()) });
const RefParams = Type.Object({ ref: Type.String({ description: 'PRODUCT@VERSION' }) });

export function evidenceRoutes(app: App, { evidence }: Services): void {
  // Reports arrive as the raw file and are parsed as they stream in: a 100 MB JUnit report is never held whole.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  app.post(
    '/releases/:ref/evidence/reports',
    {
      config: { permission: 'releases:write' },
      schema: {
        tags: ['evidence'],
        description: 'Ingest a report file (sent as application/octet-stream): JUnit XML, lcov, Cobertura XML, istanbul summary, SARIF.',
        params: RefParams,
        querystring: Type.Object({
          kind: Type.Enum([...REPORT_KINDS]),
          source: Type.Optional(Type.String({ minLength: 1, description: 'Re-submitting for the same source replaces it.' })),
          file: Type.Optional(Type.String({ description: 'File name used in error messages.' })),
        }),
        response: { 200: AddResultBody, ...errorResponses },
      },
    },
    async (req) => {
      const body = req.body as Readable | undefined;
      if (!body || typeof (body as Readable).pipe !== 'function') {
        throw new AppError('bad_request', 'send the report as the request body with content-type application/octet-stream');
      }
      const { kind, source, file } = req.query;
      return evidence.add({ release: req.params.ref, kind, source, file, content: body }, actorOf(req));
    },
  );

  app.post(
    '/releases/:ref/evidence',
    {
      config: { permission: 'releases:write' },
      schema: {
        tags: ['evidence'],
        description: 'Record stated evidence: ci {status, url}, signoff {role, comment}, custom {key: value}.',
        params: RefParams,
        body: Type.Object(
          {
            kind: Type.Enum([...FACT_KINDS]),
            source: Type.Optional(Type.String({ minLength: 1 })),
            facts: Type.Record(Type.String(), Type.Unknown()),
          },
          { additionalProperties: false },
        ),
        response: { 200: AddResultBody, ...errorResponses },
      },
    },
    async (req) => evidence.add({ release: req.params.ref, ...req.body }, actorOf(req)),
  );

  app.get(
    '/releases/:ref/evidence',
    {
      config: { permission: 'releases:read' },
      schema: {
        tags: ['evidence'],
        params: RefParams,
        querystring: Type.Object({ history: Type.Boolean({ default: false }) }),
        response: { 200: Type.Object({ items: Type.Array(EvidenceBody) }), ...errorResponses },
      },
    },
    async (req) => ({ items: await evidence.list(req.params.ref, req.query.history) }),
  );
}
