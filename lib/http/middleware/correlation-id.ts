import type { Logger } from "@aws-lambda-powertools/logger";
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2 } from "aws-lambda";

/**
 * Every log line of a request carries API Gateway's request id (`$context.requestId` in the
 * stage's access log) as `correlation_id`, joining the access log to the function's lines. Set
 * directly, not through Powertools' JMESPath option, which would add a query engine to the bundle.
 */
export function correlationId(logger: Logger): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    name: "correlationId",
    before: (request) => {
      const id = request.event.requestContext?.requestId;
      if (id) logger.setCorrelationId(id);
    },
  };
}
