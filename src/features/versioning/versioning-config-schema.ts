import Type, { type Static } from 'typebox';
import { ENTRY_PLACEHOLDERS } from './versioning-config.js';

const TypeList = (description: string) =>
  Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_-]*$' }), { description: `${description} Lower-case commit types.` });

const SectionSchema = Type.Object(
  {
    title: Type.String({ minLength: 1, description: 'Heading of the section, e.g. Features.' }),
    types: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_-]*$' }), {
      minItems: 1,
      description: 'Commit types listed in it; `other` is every commit that is not a conventional commit.',
    }),
    hidden: Type.Optional(Type.Boolean({ description: 'Leave these commits out of the notes (they are still counted).' })),
  },
  { additionalProperties: false },
);

/** `versioning:` in railyard.yaml: how versions move and how release notes look. Every field is optional. */
export const VersioningConfigSchema = Type.Object(
  {
    initialVersion: Type.Optional(
      Type.String({
        pattern: '^\\d+\\.\\d+\\.\\d+$',
        description: 'Version of the first release, when no tag exists yet (default 1.0.0).',
      }),
    ),
    bump: Type.Optional(
      Type.Object(
        {
          minor: Type.Optional(TypeList('Types that bump the minor version (default [feat]).')),
          patch: Type.Optional(TypeList('Types that bump the patch version (default [fix, perf, revert, deps]).')),
          other: Type.Optional(Type.Enum(['none', 'patch'], { description: 'What any other commit does (default none).' })),
          preMajorBreaking: Type.Optional(
            Type.Enum(['minor', 'major'], { description: 'What a breaking change does while the version is 0.x (default minor).' }),
          ),
          preMajorFeat: Type.Optional(
            Type.Enum(['minor', 'patch'], { description: 'What a minor-type commit does while the version is 0.x (default minor).' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    notes: Type.Optional(
      Type.Object(
        {
          sections: Type.Optional(
            Type.Array(SectionSchema, { description: 'Sections in the order shown; a type no section lists counts as `other`.' }),
          ),
          breakingTitle: Type.Optional(
            Type.String({ minLength: 1, description: 'Heading of the breaking changes (default Breaking changes).' }),
          ),
          entry: Type.Optional(
            Type.String({
              minLength: 1,
              description: `Template of one entry line; placeholders ${ENTRY_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}.`,
            }),
          ),
          contributors: Type.Optional(Type.Boolean({ description: 'List the people who contributed (default true).' })),
          merges: Type.Optional(Type.Boolean({ description: 'List merge commits too (default false).' })),
          repoUrl: Type.Optional(
            Type.String({ minLength: 1, description: 'Web address of the repository for links (default: from git remote).' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'How versions are computed from commits and how release notes look.' },
);

export type VersioningConfigFile = Static<typeof VersioningConfigSchema>;
