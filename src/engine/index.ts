/**
 * The engine's public face, for commands and the drill:
 *
 *   runAction(request, hooks)   run (or --resume, or --dry-run) an action with a transcript
 *   planAction(request)         the dry run alone
 *   pairStatus(loaded)          phase, roles, lock, lag, last transcript
 *   readPairPhase(runbook)      the phase and roles on the clusters
 */
export { runAction } from './run.js';
export { planAction } from './plan.js';
export { pairStatus, type PairStatus, type FlowLag } from './status.js';
export { readPairPhase } from './phaseRead.js';
export { liveGateRunner } from './gates.js';
export { RunbookConnections } from './connections.js';
export { ACTION_PHASES, checkPhase, gateRoles, writerIn } from './phase.js';
export type { ActionHooks, ActionPlan, ActionRequest, ActionResult, EngineEvent, PlannedStep, StepStage } from './types.js';
