import Type, { type Static } from 'typebox';
import { RISK_FACTORS, type RiskWeights, weightsFrom } from './risk.js';

const Weight = (description: string) => Type.Optional(Type.Number({ minimum: 0, maximum: 100, description }));

export const RiskConfigSchema = Type.Object(
  {
    weights: Type.Optional(
      Type.Object(
        {
          size: Weight('Changes in scope (default 20).'),
          breaking: Weight('Breaking changes (default 20).'),
          history: Weight('Failed or rolled-back deployments of the product in the last 90 days (default 15).'),
          dependencies: Weight('Dependency changes (default 10).'),
          evidence: Weight('Missing or failing tests, coverage and scan evidence (default 20).'),
          freeze: Weight('Time until the next freeze (default 5).'),
          staleness: Weight('Days since the product last released (default 10).'),
        },
        { additionalProperties: false, description: `Weights of the risk factors (${RISK_FACTORS.join(', ')}); 0 turns one off.` },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Stored as one policy (kind `risk`, key `default`), applied like the rest of railyard.yaml. */
export interface RiskPolicySpec {
  key: string;
  weights: RiskWeights;
}

export function riskSpecs(config: { risk?: Static<typeof RiskConfigSchema> }): RiskPolicySpec[] {
  return config.risk ? [{ key: 'default', weights: weightsFrom(config.risk.weights) }] : [];
}
