import Type from 'typebox';
import type { Services } from '../../platform/container.js';
import { type App, Nullable } from '../../platform/http/app.js';
import { DEPLOYMENT_STATUSES } from '../deployments/deployment.js';
import { TIERS } from '../environments/environment.js';
import { RELEASE_STATUSES } from '../releases/release.js';

const CellBody = Type.Object({
  version: Nullable(Type.String({ description: 'Running version: the newest successful deployment.' })),
  deployedAt: Nullable(Type.String()),
  lastAttempt: Nullable(
    Type.Object(
      { version: Type.String(), status: Type.Enum([...DEPLOYMENT_STATUSES]), at: Type.String() },
      { description: 'The newest attempt, when it is not the running version.' },
    ),
  ),
});

const PortfolioBody = Type.Object({
  environments: Type.Array(
    Type.Object({ key: Type.String(), name: Type.String(), tier: Type.Enum([...TIERS]), protected: Type.Boolean() }),
  ),
  products: Type.Array(
    Type.Object({
      product: Type.String(),
      name: Type.String(),
      track: Nullable(Type.String()),
      nextRelease: Nullable(
        Type.Object({
          version: Type.String(),
          status: Type.Enum([...RELEASE_STATUSES]),
          targetDate: Nullable(Type.String()),
          title: Type.String(),
        }),
      ),
      cells: Type.Record(Type.String(), Nullable(CellBody), { description: 'By environment key; null where nothing was ever deployed.' }),
    }),
  ),
});

export function portfolioRoutes(app: App, { portfolio }: Services): void {
  app.get(
    '/portfolio',
    {
      config: { permission: 'catalog:read' },
      schema: {
        tags: ['portfolio'],
        description: 'Every product against every environment: what runs where, what comes next.',
        response: { 200: PortfolioBody },
      },
    },
    async () => portfolio.board(),
  );
}
