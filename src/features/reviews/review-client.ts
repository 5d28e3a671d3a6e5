import type { ReadinessReport } from './report.js';
import type { OpenReview, Review, VoteInput } from './review.js';

/** What the CLI asks of reviews and the readiness report; local (services) and remote (HTTP) give the same shapes. */
export interface ReviewClient {
  open(input: OpenReview): Promise<Review>;
  tick(ref: string, kind: string, item: string, ticked: boolean): Promise<Review>;
  vote(input: VoteInput): Promise<Review>;
  decide(ref: string, kind: string, minutes: string): Promise<Review>;
  show(ref: string, kind: string): Promise<Review>;
  report(ref: string): Promise<ReadinessReport>;
}

type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function remoteReviewClient(call: Call): ReviewClient {
  const at = (ref: string, kind?: string) =>
    `/releases/${encodeURIComponent(ref)}/reviews${kind === undefined ? '' : `/${encodeURIComponent(kind)}`}`;
  return {
    open: ({ release, ...body }) => call('POST', at(release), body),
    tick: (ref, kind, item, ticked) => call('POST', `${at(ref, kind)}/checklist`, { item, ticked }),
    vote: ({ release, kind, ...body }) => call('POST', `${at(release, kind ?? 'go-no-go')}/votes`, body),
    decide: (ref, kind, minutes) => call('POST', `${at(ref, kind)}/decision`, { minutes }),
    show: (ref, kind) => call('GET', at(ref, kind)),
    report: (ref) => call('GET', `/releases/${encodeURIComponent(ref)}/report`),
  };
}
