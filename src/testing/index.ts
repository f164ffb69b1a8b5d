/**
 * `tandem-deploy/testing`: fakes of Tandem's plug-in interfaces and a load generator, for users' own
 * tests of plug-ins and pipelines. Tandem's own product code imports none of this.
 */

export {
  FakeGitHub,
  type FakeGitHubOptions,
  type FakeRequest,
  type FakeRunScript,
  type FakeWorkflow,
} from "./fake-github.js";
export { type FakeHookOutcome, FakeHookRunner, type FakeHookStartRecord } from "./fake-hooks.js";
export {
  type LoadOptions,
  type LoadReport,
  type LoadRun,
  type LoadStopReason,
  runLoad,
  startLoad,
} from "./load.js";
export { MemoryInstances, memoryInstanceStore } from "./memory-instances.js";
export { MemoryRouter } from "./memory-router.js";
export { type FakeWholeVersionOptions, FakeWholeVersionTarget } from "./whole-version-target.js";
