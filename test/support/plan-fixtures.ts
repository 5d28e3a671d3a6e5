/**
 * The acceptance example of the Plans issue (#6), exactly as written there; tests that need a live health
 * endpoint replace its address (http://127.0.0.1:9999).
 */
export const ACCEPTANCE_YAML = `plans:
  - key: standard
    steps:
      - key: deploy
        run: ["sh", "-c", "echo deploying $RAILYARD_PRODUCT $RAILYARD_VERSION to $RAILYARD_ENV"]
      - key: verify
        needs: [deploy]
        verify: { http: { url: "http://127.0.0.1:9999/health", expectStatus: 200 }, for: PT5S, timeout: PT2M }
        onFailure: rollback
    rollback:
      - key: undo
        run: ["sh", "-c", "echo rolling back"]
environments:
  - key: staging
    tier: staging
    plan: standard
`;
