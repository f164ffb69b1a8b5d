import { SCHEMA_URL } from "./json-schema.js";

/**
 * A commented starter tandem.yaml, written by `tandem init`. It parses without errors. Its first line
 * tells yaml-language-server (VS Code's YAML extension, and other editors) which schema to complete
 * and check it with.
 */
export function initTemplate(project: string): string {
  return `# yaml-language-server: $schema=${SCHEMA_URL}
# Tandem configuration. \`tandem schema\` prints every field; \`tandem validate\` checks this file.
project: ${project}

environments:
  staging: {}
  production:
    # Only versions that already succeeded in staging: \`tandem promote RELEASE --to production\`.
    after: staging
    # Every release into production waits here until someone approves it (\`tandem approve\`).
    approval:
      required: 1
      approvers: []          # anyone; or list who may approve, e.g. [alice, bob]
      timeout: 4h            # then it is rejected
    # Change freezes: nothing is released while one is active (unless overridden with a reason).
    # freeze:
    #   - { name: weekend, schedule: "0 18 * * 5", duration: 62h, timezone: Europe/Paris }
    #   - { name: holidays, from: "2026-12-24 00:00", to: "2027-01-02 00:00", timezone: Europe/Paris }
    # Any service field may change per environment; environments run side by side on this
    # machine, so each needs its own router ports.
    services:
      web:
        router: { listen: 9080 }

# Merged into every service; a service's own fields win.
defaults:
  health:
    - type: http
      path: /health        # must answer 200-399
      period: 1s
      timeout: 1s
      failureThreshold: 3

services:
  web:
    target:
      type: process
      # Run without a shell; each instance gets a free port in $PORT and must listen on it.
      command: [node, server.js]
      cwd: ./releases/\${version}   # relative to this file; \${version} is the version being deployed
      replicas: 2
      env:
        NODE_ENV: production
        # API_TOKEN: \${secret:API_TOKEN}   # read from the environment, masked, never stored
    # Tandem's own proxy: clients connect to 8080 (9080 in production), it splits traffic between versions.
    router:
      type: builtin
      listen: 8080
    strategy:
      canary:
        steps:
          - setWeight: 10
          - pause: 1m
          - setWeight: 50
          - pause: 5m
          - pause: {}      # wait for \`tandem resume\`
        progressDeadline: 10m
`;
}
