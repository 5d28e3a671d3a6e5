import type { Services } from '../../platform/container.js';
import type { App } from '../../platform/http/app.js';

export function portfolioRoutes(app: App, { portfolio }: Services): void {
  app.get(
    '/portfolio',
    {
      config: { permission: 'catalog:read' },
      schema: { tags: ['portfolio'], description: 'Every product against every environment: what runs where, what comes next.' },
    },
    async () => portfolio.board(),
  );
}
