import { startServices } from '../platform/container.js';
import type { Client } from './client.js';

/** The CLI against a database file or URL directly, acting as `actor`. */
export async function openLocalClient(db: string, actor: string): Promise<Client> {
  const s = await startServices(db);
  const page = <T extends { id: string }>(items: T[], limit: number) => ({
    items,
    nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null,
  });
  return {
    products: () => s.catalog.products(),
    product: (key) => s.catalog.product(key),
    environments: () => s.catalog.environments(),
    tracks: () => s.catalog.tracks(),
    trains: () => s.catalog.trains(),
    listReleases: async ({ cursor, ...q }) => page(await s.releases.list({ ...q, before: cursor }), q.limit),
    createRelease: (input) => s.releases.create(input, actor),
    showRelease: (ref) => s.releases.show(ref),
    setReleaseStatus: (ref, status, reason) => s.releases.setStatus(ref, status, actor, reason),
    listDeployments: async ({ cursor, ...q }) => page(await s.deployments.list({ ...q, before: cursor }), q.limit),
    recordDeployment: (input) => s.deployments.record(input, actor),
    listAudit: async ({ cursor, ...q }) => {
      const items = await s.audit.list({ ...q, beforeSeq: cursor });
      return { items, nextCursor: items.length === q.limit ? (items.at(-1)?.seq ?? null) : null };
    },
    verifyAudit: () => s.audit.verify(),
    apply: (yaml, file, dryRun) => s.config.apply(yaml, file, { dryRun }, actor),
    close: () => s.close(),
  };
}
