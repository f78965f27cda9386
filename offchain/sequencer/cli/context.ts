/**
 * The operator's direct access to a sequencer database: opens the configured store, brings its schema up to date and
 * builds the service on it, with the command-line operator as principal (bootstrap rights, audited as `cli:<user>`).
 */
import type { SequencerConfig } from "../config";
import { operatorPrincipal, type Principal } from "../auth";
import { SequencerService } from "../service";
import { baseServiceOptions, openStore } from "../server";
import type { SequencerStore } from "../store";

/** An open service for one CLI command. */
export interface OperatorContext {
  readonly config: SequencerConfig;
  readonly store: SequencerStore;
  readonly service: SequencerService;
  readonly principal: Principal;
  close(): Promise<void>;
}

/** Opens the configured store (migrated) and a service on it. */
export async function openSequencerService(config: SequencerConfig, user: string): Promise<OperatorContext> {
  const store = openStore(config);
  try {
    await store.migrate();
    const service = new SequencerService(baseServiceOptions(config, store));
    await service.init();
    return { config, store, service, principal: operatorPrincipal(user), close: () => store.close() };
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}
