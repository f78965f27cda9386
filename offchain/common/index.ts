/**
 * offchain/common: configuration, errors, chain helpers and small utilities shared by the services and tasks.
 * This file is the part's only import surface.
 */
export { AppError, ExitCode, isAppError } from "./errors";
