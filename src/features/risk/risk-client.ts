import type { NewRisk, RiskFields, RiskItem, RiskReport, RiskStatus } from './risk.js';

export type RiskChanges = RiskFields & { status?: RiskStatus };

/** What the CLI asks of risk; local (service) and remote (HTTP) give the same shapes. */
export interface RiskClient {
  show(ref: string): Promise<RiskReport>;
  add(ref: string, input: NewRisk): Promise<RiskItem>;
  update(ref: string, id: string, changes: RiskChanges): Promise<RiskItem>;
}

type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function remoteRiskClient(call: Call): RiskClient {
  const at = (ref: string) => `/releases/${encodeURIComponent(ref)}`;
  return {
    show: (ref) => call('GET', `${at(ref)}/risk`),
    add: (ref, input) => call('POST', `${at(ref)}/risks`, input),
    update: (ref, id, changes) => call('POST', `${at(ref)}/risks/${encodeURIComponent(id)}`, changes),
  };
}
