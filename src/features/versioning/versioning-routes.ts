import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { type App, errorResponses, Nullable } from '../../platform/http/app.js';
import { CHANGE_KINDS, CHANGE_TYPES } from '../releases/change.js';

const EntryBody = Type.Object({
  hash: Type.String({ description: 'Full commit hash.' }),
  type: Type.String(),
  scope: Nullable(Type.String()),
  subject: Type.String(),
  breaking: Type.Boolean(),
  pr: Nullable(Type.Integer()),
  issues: Type.Array(Type.Integer()),
  authors: Type.Array(Type.String()),
  note: Nullable(Type.String({ description: 'The BREAKING CHANGE text.' })),
});

const NotesBody = Type.Object({
  from: Nullable(Type.String({ description: 'Tag the range starts after; null: from the first commit.' })),
  to: Type.String(),
  version: Type.String(),
  tag: Type.String(),
  date: Type.String({ description: 'YYYY-MM-DD of the last commit.' }),
  sections: Type.Array(Type.Object({ type: Type.String(), title: Type.String(), entries: Type.Array(EntryBody) })),
  hidden: Type.Record(Type.String(), Type.Integer(), { description: 'Commits left out of the notes, by type.' }),
  contributors: Type.Array(Type.String()),
});

const VersionBody = Type.Object({
  current: Nullable(Type.String()),
  next: Type.String(),
  bump: Type.Enum(['major', 'minor', 'patch', 'none', 'initial']),
  reason: Type.String(),
  commits: Type.Integer(),
  tag: Type.String(),
  from: Nullable(Type.String()),
  to: Type.String(),
});

const PreviewBody = Type.Object({
  product: Type.String(),
  version: VersionBody,
  notes: NotesBody,
  markdown: Type.String({ description: 'The notes as Markdown, as `release cut` stores them.' }),
  scope: Type.Array(
    Type.Object({
      kind: Type.Enum([...CHANGE_KINDS]),
      type: Type.Enum([...CHANGE_TYPES]),
      ref: Type.String(),
      title: Type.String(),
      author: Type.Optional(Nullable(Type.String())),
      link: Type.Optional(Nullable(Type.String())),
      breaking: Type.Optional(Type.Boolean()),
    }),
  ),
  commit: Type.String({ description: 'The commit the release would be cut at.' }),
  warnings: Type.Array(Type.String()),
});

export function versioningRoutes(app: App, { versioning }: Services): void {
  // `::` is Fastify's escape for a literal `:` in a path: the route is /products/{key}/releases:preview.
  app.post(
    '/products/:key/releases::preview',
    {
      config: { permission: 'releases:read' },
      // Every field is optional, so a POST without a body means "HEAD, no prerelease".
      preValidation: async (req) => {
        req.body ??= {};
      },
      schema: {
        tags: ['versioning'],
        description:
          'The next release of a product, computed from its repository (which must be a local path on the server): version, notes and scope. Changes nothing.',
        params: Type.Object({ key: Type.String() }),
        body: Type.Object(
          {
            to: Type.Optional(Type.String({ minLength: 1, description: 'Revision the release ends at (default HEAD).' })),
            pre: Type.Optional(Type.String({ pattern: '^[A-Za-z][0-9A-Za-z-]*$', description: 'Prerelease identifier, e.g. rc.' })),
          },
          { additionalProperties: false, description: 'Optional: a request without a body previews HEAD.' },
        ),
        response: { 200: PreviewBody, ...errorResponses, 422: errorResponses[400] },
      },
    },
    async (req) => versioning.preview(req.params.key, { to: req.body.to, pre: req.body.pre }),
  );
}
