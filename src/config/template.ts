/** A commented starter tandem.yaml, written by `tandem init`. It parses without errors. */
export function initTemplate(project: string): string {
  return `# Tandem configuration. \`tandem schema\` prints every field; \`tandem validate\` checks this file.
project: ${project}

environments:
  staging: {}
  production: {}

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
        # API_TOKEN: \${env:API_TOKEN}   # read from the environment, never stored
    # Tandem's own proxy: clients connect to 8080, it splits traffic between versions.
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
