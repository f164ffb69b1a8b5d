import { layoutDag, NODE } from "./dag";
import { probeHealth, stepProgress } from "./steps";
import type { Rollout } from "./types";
import { StatusBadge } from "./ui";

/** The services as boxes in dependency order (left to right) with arrows from each need. */
export function ReleaseDag({ rollouts }: { rollouts: Rollout[] }) {
  const layout = layoutDag(rollouts);
  const byService = new Map(rollouts.map((r) => [r.service, r]));
  return (
    <div class="dag" style={{ width: `${layout.width}px`, height: `${layout.height}px` }}>
      <svg class="dag-edges" width={layout.width} height={layout.height} aria-hidden="true">
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="8"
            markerHeight="8"
            orient="auto"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" />
          </marker>
        </defs>
        {layout.edges.map((edge) => (
          <path key={`${edge.from}-${edge.to}`} d={edge.path} marker-end="url(#arrow)" />
        ))}
      </svg>
      {layout.nodes.map((node) => {
        const rollout = byService.get(node.service)!;
        const health = probeHealth(rollout);
        return (
          <article
            key={node.service}
            class="dag-node"
            data-service={node.service}
            style={{
              left: `${node.x}px`,
              top: `${node.y}px`,
              width: `${NODE.width}px`,
              height: `${NODE.height}px`,
            }}
            aria-label={`service ${node.service}`}
          >
            <header>
              <strong>{rollout.service}</strong>{" "}
              <span class="muted">
                {rollout.stableVersion ?? "—"} → {rollout.version}
              </span>
            </header>
            <StatusBadge status={rollout.status} />
            <div class="step" data-testid={`step-${node.service}`}>
              {stepProgress(rollout)}
            </div>
            <div class="weight" data-testid={`weight-${node.service}`}>
              weight {rollout.weight}%
              <span class="weight-bar" aria-hidden="true">
                <span style={{ width: `${Math.max(0, Math.min(100, rollout.weight))}%` }} />
              </span>
            </div>
            <div
              class={`health health-${health.healthy === null ? "unknown" : health.healthy ? "ok" : "bad"}`}
            >
              {health.text}
            </div>
            {rollout.gate ? (
              <div class="gate small" data-testid={`gate-${node.service}`}>
                approval {rollout.gate.outcome ?? "waiting"} (
                {rollout.gate.decisions.filter((d) => d.decision === "approve").length}/
                {rollout.gate.spec.required})
                {rollout.gate.decisions.map((d) => ` · ${d.decision} by ${d.actor}`).join("")}
              </div>
            ) : null}
            {rollout.needs?.length ? (
              <div class="muted small">after {rollout.needs.map((n) => n.service).join(", ")}</div>
            ) : null}
          </article>
        );
      })}
    </div>
  );
}
