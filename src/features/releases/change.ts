export const CHANGE_KINDS = ['commit', 'pull_request', 'issue', 'dependency'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Conventional-commit style types; anything else is kept as `other`, never dropped. */
export const CHANGE_TYPES = ['feat', 'fix', 'perf', 'refactor', 'docs', 'test', 'build', 'ci', 'chore', 'revert', 'deps', 'other'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export interface Change {
  id: string;
  kind: ChangeKind;
  type: ChangeType;
  ref: string;
  title: string;
  author: string | null;
  link: string | null;
  breaking: boolean;
  /** Added after the release's scope was frozen (status `ready`). */
  afterFreeze: boolean;
  createdAt: string;
}

export type NewChange = Pick<Change, 'kind' | 'type' | 'ref' | 'title'> & Partial<Pick<Change, 'author' | 'link' | 'breaking'>>;
