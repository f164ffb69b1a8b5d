import { describe, expect, it } from "vitest";
import { input, live, meta, move, precedesFrom } from "./compatibility.fixtures.js";
import { checkCompatibility } from "./compatibility.js";
import { requirementEdges } from "./requirement-edges.js";

const apiKnown = [meta("api", "2.3.1"), meta("api", "2.4.0"), meta("api", "2.5.1")];

describe("checkCompatibility: services not in the release", () => {
  it("is met when the live provider satisfies the range", () => {
    const moves = [move("web", "1.7.0", "1.8.0", { to: { requires: { api: "^2.4" } } })];
    expect(checkCompatibility(input({ moves, live: [live("api", "2.5.0")] }))).toEqual([]);
  });

  it("is unmet when the live provider does not, naming the versions that would satisfy it", () => {
    const moves = [move("web", "1.7.0", "1.8.0", { to: { requires: { api: "^2.4" } } })];
    const unmet = checkCompatibility(input({ moves, live: [live("api", "2.3.1")], known: apiKnown }));
    expect(unmet).toEqual([
      {
        consumer: "web@1.8.0",
        requirement: "api",
        range: "^2.4",
        found: ["api@2.3.1"],
        satisfiedBy: ["api@2.4.0", "api@2.5.1"],
        message:
          "web@1.8.0 requires api ^2.4, but api@2.3.1 would be live in production at the same time (api is not in this release); versions that satisfy it: api@2.4.0, api@2.5.1",
        suggestion: "add api@2.5.1 to the release",
      },
    ]);
  });

  it("says when nothing provides the requirement, and when no known version would", () => {
    const moves = [move("web", "1.7.0", "1.8.0", { to: { requires: { api: "^2" } } })];
    const [unmet, ...rest] = checkCompatibility(input({ moves }));
    expect(rest).toEqual([]);
    expect(unmet?.found).toEqual([]);
    expect(unmet?.satisfiedBy).toEqual([]);
    expect(unmet?.message).toBe(
      "web@1.8.0 requires api ^2, but nothing live in production provides api; no known version provides api ^2",
    );
    expect(unmet?.suggestion).toMatch(/publish a version that provides api \^2/);
  });

  it("suggests a newer version of a consumer that is not in the release when a new provider breaks it", () => {
    const moves = [move("api", "2.3.1", "3.0.0")];
    const known = [meta("web", "1.7.0", { api: "^2.3" }), meta("web", "1.9.0", { api: ">=2.3 <4" })];
    const [unmet] = checkCompatibility(
      input({ moves, live: [live("web", "1.7.0", { api: "^2.3" })], known }),
    );
    expect(unmet?.consumer).toBe("web@1.7.0");
    expect(unmet?.found).toEqual(["api@3.0.0"]);
    expect(unmet?.message).toContain(
      "but api@3.0.0 would be live in production at the same time (web is not in this release)",
    );
    expect(unmet?.suggestion).toBe("add web@1.9.0 to the release");
  });

  it("does not check the current state: an old or live version against old or live ones", () => {
    // web's old version already needs api ^3 that nobody provides; the release does not change that.
    const moves = [move("web", "1.7.0", "1.8.0", { from: { requires: { api: "^3", cache: "^1" } } })];
    const liveNow = [live("api", "2.0.0"), live("worker", "1.0.0", { api: "^5" })];
    expect(checkCompatibility(input({ moves, live: liveNow }))).toEqual([]);
  });
});

describe("checkCompatibility: what provides a requirement", () => {
  it("accepts a capability provided under another name, and checks its version", () => {
    const moves = [move("web", "1.7.0", "1.8.0", { to: { requires: { "orders-api": "^3" } } })];
    const good = [live("api", "2.4.0", {}, { "orders-api": "3.1.0" })];
    expect(checkCompatibility(input({ moves, live: good }))).toEqual([]);
    const bad = [live("api", "2.3.1", {}, { "orders-api": "2.9.0" })];
    const known = [meta("api", "2.4.0", {}, { "orders-api": "3.1.0" })];
    const [unmet] = checkCompatibility(input({ moves, live: bad, known }));
    expect(unmet?.message).toContain("but api@2.3.1, providing orders-api 2.9.0, would be live");
    expect(unmet?.satisfiedBy).toEqual(["api@2.4.0"]);
    expect(unmet?.suggestion).toBe("add api@2.4.0 to the release");
  });

  it("never lets a service satisfy its own requirement", () => {
    const moves = [
      move("web", "1.7.0", "1.8.0", {
        to: { requires: { "orders-api": "^3" }, provides: { "orders-api": "3.0.0" } },
      }),
    ];
    const [unmet] = checkCompatibility(input({ moves }));
    expect(unmet?.message).toContain("nothing live in production provides orders-api");
  });

  it("counts prereleases as satisfying a range they fall in, and not one they fall outside", () => {
    const moves = [move("web", "1.7.0", "1.8.0", { to: { requires: { api: "^2.4" } } })];
    expect(checkCompatibility(input({ moves, live: [live("api", "2.5.0-rc.1")] }))).toEqual([]);
    expect(checkCompatibility(input({ moves, live: [live("api", "3.0.0-rc.1")] }))[0]?.found).toEqual([
      "api@3.0.0-rc.1",
    ]);
  });

  it("gives a version that is not semver no implicit provides", () => {
    const moves = [move("web", "1.7.0", "1.8.0", { to: { requires: { api: "*" } } })];
    const [unmet] = checkCompatibility(input({ moves, live: [live("api", "main-3f2a")] }));
    expect(unmet?.message).toContain("nothing live in production provides api");
  });

  it("has nothing to check without metadata, or with empty metadata", () => {
    const moves = [move("web", "1.7.0", "1.8.0"), move("api", null, "2.0.0", { to: {} })];
    expect(checkCompatibility(input({ moves, live: [live("db", "1.0.0", {}, {})] }))).toEqual([]);
  });
});

describe("checkCompatibility: ordering inside the release", () => {
  // api 2.3.1 -> 2.4.0; web 1.7.0 (api ^2.3) -> 1.8.0 (api ^2.4): api must go first.
  const apiFirst = [
    move("api", "2.3.1", "2.4.0"),
    move("web", "1.7.0", "1.8.0", { from: { requires: { api: "^2.3" } }, to: { requires: { api: "^2.4" } } }),
  ];

  it("reports new web beside old api when nothing orders them, and suggests the order", () => {
    const [unmet, ...rest] = checkCompatibility(input({ moves: apiFirst }));
    expect(rest).toEqual([]);
    expect(unmet?.consumer).toBe("web@1.8.0");
    expect(unmet?.found).toEqual(["api@2.3.1"]);
    expect(unmet?.message).toContain("(web@1.8.0 may start before api's rollout to 2.4.0 completes)");
    expect(unmet?.suggestion).toBe("release api before web (add api to web's dependsOn)");
  });

  it("is met when api completes before web starts, but not in the other order", () => {
    expect(checkCompatibility(input({ moves: apiFirst, order: [["api", "web"]] }))).toEqual([]);
    expect(checkCompatibility(input({ moves: apiFirst, order: [["web", "api"]] }))).toHaveLength(1);
  });

  it("follows precedes transitively", () => {
    const moves = [...apiFirst, move("worker", "1.0.0", "1.1.0")];
    const order: Array<[string, string]> = [
      ["api", "worker"],
      ["worker", "web"],
    ];
    expect(checkCompatibility(input({ moves, order }))).toEqual([]);
  });

  // api 2.3.1 -> 3.0.0 breaks old web (api ^2.3); new web accepts both: web must go first.
  const webFirst = [
    move("api", "2.3.1", "3.0.0"),
    move("web", "1.7.0", "1.9.0", {
      from: { requires: { api: "^2.3" } },
      to: { requires: { api: ">=2.3 <4" } },
    }),
  ];

  it("reports old web beside new api when nothing orders them, and suggests web first", () => {
    const [unmet, ...rest] = checkCompatibility(input({ moves: webFirst }));
    expect(rest).toEqual([]);
    expect(unmet?.consumer).toBe("web@1.7.0");
    expect(unmet?.found).toEqual(["api@3.0.0"]);
    expect(unmet?.message).toContain("(api@3.0.0 may start before web's rollout to 1.9.0 completes)");
    expect(unmet?.suggestion).toBe("release web before api (add web to api's dependsOn)");
  });

  it("is met when web completes before api starts, but not when api goes first", () => {
    expect(checkCompatibility(input({ moves: webFirst, order: [["web", "api"]] }))).toEqual([]);
    const wrong = checkCompatibility(input({ moves: webFirst, order: [["api", "web"]] }));
    expect(wrong.map((u) => u.consumer)).toEqual(["web@1.7.0"]);
  });

  it("refuses in both orders when old and new web need incompatible api versions", () => {
    const moves = [
      move("api", "2.3.1", "3.0.0"),
      move("web", "1.7.0", "2.0.0", { from: { requires: { api: "^2.3" } }, to: { requires: { api: "^3" } } }),
    ];
    for (const order of [[["api", "web"]], [["web", "api"]]] as Array<Array<[string, string]>>) {
      expect(checkCompatibility(input({ moves, order }))).toHaveLength(1);
    }
    expect(checkCompatibility(input({ moves })).map((u) => u.consumer)).toEqual(["web@2.0.0", "web@1.7.0"]);
  });

  it("checks new against new always: both stay live after the release", () => {
    const moves = [
      move("api", "2.4.0", "2.3.5"),
      move("web", "1.7.0", "1.8.0", { to: { requires: { api: "^2.4" } } }),
    ];
    const [unmet] = checkCompatibility(input({ moves, order: [["api", "web"]], known: apiKnown }));
    expect(unmet?.found).toEqual(["api@2.3.5"]);
    expect(unmet?.message).toContain("(both are in this release and stay live after it)");
    expect(unmet?.suggestion).toBe("release api@2.5.1 instead of api@2.3.5");
  });

  it("lists every offending provider once in one entry", () => {
    const moves = [
      move("api", "2.3.1", "2.3.5"),
      move("web", "1.7.0", "1.8.0", { to: { requires: { api: "^2.4" } } }),
    ];
    const unmet = checkCompatibility(input({ moves, live: [live("web", "1.7.0")] }));
    expect(unmet).toHaveLength(1);
    expect(unmet[0]?.found).toEqual(["api@2.3.5", "api@2.3.1"]);
  });

  it("deduplicates identical findings", () => {
    const moves = [move("web", "1.7.0", "1.8.0", { to: { requires: { api: "^2.4" } } })];
    const twice = [live("api", "2.3.1"), live("api", "2.3.1")];
    const unmet = checkCompatibility(input({ moves, live: twice }));
    expect(unmet).toHaveLength(1);
    expect(unmet[0]?.found).toEqual(["api@2.3.1"]);
  });
});

describe("checkCompatibility: moments when nothing provides a requirement", () => {
  // api 3.0.0 no longer provides orders-api, which web needs.
  const dropped = move("api", "2.3.1", "3.0.0", { from: { provides: { "orders-api": "1.2.0" } } });

  it("catches a capability dropped by the new provider, though the old one is live beside the consumer", () => {
    const moves = [dropped, move("web", "1.7.0", "1.8.0", { to: { requires: { "orders-api": "^1" } } })];
    const [unmet] = checkCompatibility(input({ moves, order: [["web", "api"]] }));
    expect(unmet?.consumer).toBe("web@1.8.0");
    expect(unmet?.found).toEqual([]);
    expect(unmet?.message).toContain(
      "nothing live in production would provide orders-api once api@3.0.0 replaces api@2.3.1",
    );
    expect(unmet?.satisfiedBy).toEqual(["api@2.3.1"]);
    expect(unmet?.suggestion).toBe("release api@2.3.1 instead of api@3.0.0");
  });

  it("catches it for a consumer not in the release, and for an old one unless it finishes first", () => {
    const steady = checkCompatibility(
      input({ moves: [dropped], live: [live("web", "1.7.0", { "orders-api": "^1" })] }),
    );
    expect(steady.map((u) => u.consumer)).toEqual(["web@1.7.0"]);
    const moves = [dropped, move("web", "1.7.0", "1.8.0", { from: { requires: { "orders-api": "^1" } } })];
    const [old] = checkCompatibility(input({ moves }));
    expect(old?.consumer).toBe("web@1.7.0");
    expect(old?.suggestion).toBe("release web before api (add web to api's dependsOn)");
    expect(checkCompatibility(input({ moves, order: [["web", "api"]] }))).toEqual([]);
  });

  it("catches a consumer starting before the only provider is live, unless it waits for it", () => {
    const moves = [
      move("api", "2.3.1", "2.4.0", { to: { provides: { "orders-api": "1.0.0" } } }),
      move("web", "1.7.0", "1.8.0", { to: { requires: { "orders-api": "^1" } } }),
    ];
    const [unmet] = checkCompatibility(input({ moves }));
    expect(unmet?.message).toContain(
      "nothing live in production would provide orders-api while api@2.4.0 is not live yet",
    );
    expect(unmet?.suggestion).toBe("release api before web (add api to web's dependsOn)");
    expect(checkCompatibility(input({ moves, order: [["api", "web"]] }))).toEqual([]);
  });

  it("needs no order when another service provides the capability throughout", () => {
    const moves = [dropped, move("web", "1.7.0", "1.8.0", { to: { requires: { "orders-api": "^1" } } })];
    const orders = [live("orders", "1.5.0", {}, { "orders-api": "1.5.0" })];
    expect(checkCompatibility(input({ moves, live: orders }))).toEqual([]);
  });
});

describe("requirementEdges", () => {
  it("puts a provider first when the consumer's new version needs its new version", () => {
    const moves = [
      move("web", "1.7.0", "1.8.0", { to: { requires: { api: "^2.4" } } }),
      move("api", "2.3.1", "2.4.0"),
    ];
    expect(requirementEdges(moves)).toEqual([
      {
        from: "api",
        to: "web",
        reason: "web@1.8.0 requires api ^2.4: api@2.4.0 provides it, api@2.3.1 does not",
      },
    ]);
    const first = move("api", null, "2.4.0");
    expect(requirementEdges([moves[0]!, first])).toEqual([
      { from: "api", to: "web", reason: "web@1.8.0 requires api ^2.4: api@2.4.0 provides it" },
    ]);
  });

  it("needs no order when the old provider already satisfies, or the new one does not", () => {
    const web = move("web", "1.7.0", "1.8.0", { to: { requires: { api: "^2.4" } } });
    expect(requirementEdges([web, move("api", "2.4.0", "2.5.0")])).toEqual([]);
    expect(requirementEdges([web, move("api", "2.3.1", "3.0.0")])).toEqual([]);
    expect(requirementEdges([web])).toEqual([]);
  });

  it("follows capabilities provided under another name", () => {
    const moves = [
      move("web", "1.7.0", "1.8.0", { to: { requires: { "orders-api": "^3" } } }),
      move("api", "2.3.1", "2.4.0", { to: { provides: { "orders-api": "3.0.0" } } }),
    ];
    expect(requirementEdges(moves).map((e) => `${e.from}->${e.to}`)).toEqual(["api->web"]);
  });

  it("puts a consumer first when a new provider would break its old version", () => {
    const moves = [
      move("api", "2.3.1", "3.0.0", { from: { provides: { "orders-api": "1.0.0" } } }),
      move("web", "1.7.0", "1.9.0", {
        from: { requires: { api: "^2.3", "orders-api": "^1" } },
        to: { requires: { api: ">=2.3 <4" } },
      }),
    ];
    expect(requirementEdges(moves)).toEqual([
      {
        from: "web",
        to: "api",
        reason:
          "web@1.7.0 requires api ^2.3, which api@3.0.0 does not satisfy: web's rollout to 1.9.0 completes first; web@1.7.0 requires orders-api ^1, which api@3.0.0 no longer provides: web's rollout to 1.9.0 completes first",
      },
    ]);
  });

  it("gives both directions (a cycle) when no order works", () => {
    const moves = [
      move("api", "2.3.1", "3.0.0"),
      move("web", "1.7.0", "2.0.0", { from: { requires: { api: "^2.3" } }, to: { requires: { api: "^3" } } }),
    ];
    expect(requirementEdges(moves).map((e) => `${e.from}->${e.to}`)).toEqual(["api->web", "web->api"]);
  });

  it("yields orders under which checkCompatibility finds nothing", () => {
    const cases = [
      [
        move("api", "2.3.1", "2.4.0"),
        move("web", "1.7.0", "1.8.0", {
          from: { requires: { api: "^2.3" } },
          to: { requires: { api: "^2.4" } },
        }),
      ],
      [
        move("api", "2.3.1", "3.0.0"),
        move("web", "1.7.0", "1.9.0", {
          from: { requires: { api: "^2.3" } },
          to: { requires: { api: ">=2.3 <4" } },
        }),
      ],
    ];
    for (const moves of cases) {
      const edges = requirementEdges(moves).map((e): [string, string] => [e.from, e.to]);
      expect(edges).toHaveLength(1);
      expect(checkCompatibility({ ...input({ moves }), precedes: precedesFrom(edges) })).toEqual([]);
    }
  });
});
