import type { MiddlewareObj } from "@middy/core";
import type { Context } from "aws-lambda";
import { toBrokerError } from "../../errors.ts";
import { logger } from "../../observability/logger.ts";
import { type HttpResponse, problem } from "../responses.ts";

/**
 * Turns any error into an RFC 9457 problem response. BrokerErrors keep their status and type;
 * anything else is a bug: logged (name and stack, no request data) and answered as a bare 500.
 */
export function problemResponses(): MiddlewareObj<unknown, HttpResponse, Error, Context> {
  return {
    name: "problemResponses",
    onError: (request) => {
      const error = toBrokerError(request.error);
      if (error.status >= 500) {
        const original = request.error;
        logger.error("request failed", {
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
