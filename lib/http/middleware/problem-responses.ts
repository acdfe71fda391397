import type { MiddlewareObj } from "@middy/core";
import type { Context } from "aws-lambda";
import { toBrokerError, UpstreamCredentialsRejectedError } from "../../errors.ts";
import { logger } from "../../observability/logger.ts";
import { type HttpResponse, problem } from "../responses.ts";

/**
 * Turns any error into an RFC 9457 problem response. BrokerErrors keep their status and type;
 * anything else is a bug: logged (name and stack, no request data) and answered as a bare 500.
 * Logged by what an operator must do: ERROR when someone must act (a bug, a missing or invalid
 * secret, credentials the upstream rejects), WARN for upstream trouble the broker rides out and the
 * metrics alarm on (timeouts, 5xx, cooldowns, a refresh in progress), INFO for the caller's faults.
 */
export function problemResponses(): MiddlewareObj<unknown, HttpResponse, Error, Context> {
  return {
    name: "problemResponses",
    onError: (request) => {
      const error = toBrokerError(request.error);
      if (error.status >= 500) {
        const original = request.error;
        const act = error.status === 500 || error instanceof UpstreamCredentialsRejectedError;
        logger[act ? "error" : "warn"]("request failed", {
          problemType: error.type,
          status: error.status,
          detail: error.message,
          // Stack frames without the message line: a library's message may quote data it was given.
          ...(error === original
            ? {}
            : { error: { name: original?.name, frames: original?.stack?.split("\n").slice(1, 8) } }),
        });
      } else {
        logger.info("request rejected", { problemType: error.type, status: error.status });
      }
      request.response = problem(error, request.context.awsRequestId);
    },
  };
}
