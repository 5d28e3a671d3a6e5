/** The commented railyard.yaml that `railyard init` writes. Kept valid by a test. */
export const STARTER_CONFIG = `# railyard.yaml: your release portfolio as code.
# Apply it with:   railyard apply -f railyard.yaml --dry-run   (shows the plan)
#                  railyard apply -f railyard.yaml             (applies it; running it again changes nothing)
# Editor completion: railyard schema > railyard.schema.json, then point your editor's YAML support at it.
# Reference: docs/CONFIG.md
version: 1

# Environments, in promotion order. tier is one of dev | test | staging | prod.
environments:
  - key: dev
    tier: dev
  - key: staging
    tier: staging
    timezone: Europe/Berlin      # IANA time zone; windows and freezes are evaluated in it
  - key: prod
    tier: prod
    timezone: Europe/Berlin
    protected: true              # the default for prod: guarded by approvals and gates
    concurrency: 1               # one promotion into prod at a time

# Tracks: the ordered environments a product's releases are promoted through.
tracks:
  - key: default
    environments: [dev, staging, prod]

# Products: what you version and release.
products:
  - key: api
    name: Public API
    repo: https://github.com/example/api.git
    tagFormat: v{version}         # or {name}@{version} in a monorepo
    owners: [platform-team]
    track: default
  - key: web
    name: Web shop
    repo: https://github.com/example/web.git
    owners: [web-team]
    notify: [web-team@example.com]
    track: default
    dependsOn:
      - product: api
        range: ">=1.2.0 <2"      # web needs an api of this range in the same environment

# Trains: releases of several products that ship together.
trains:
  - key: monthly
    name: Monthly release train
    products: [api, web]
`;
