import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  type CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { CORS_MAX_AGE_SECONDS, type CorsPolicy } from "../../lib/http/middleware/cors.ts";
import { PUBLIC_ROUTES, ROUTES } from "../../lib/http/routes.ts";
import type { StageConfig } from "../stage-config.ts";
import { acknowledge } from "./acknowledge.ts";

export interface BrokerApiProps {
  service: string;
  stageName: string;
  /** The stage's origins, caller authentication and throttling. */
  stage: Pick<StageConfig, "corsOrigins" | "auth" | "throttling">;
  /** The same policy the handler answers preflights with (lib/http/middleware/cors.ts). */
  cors: CorsPolicy;
  /** The token function: every route's integration. */
  handler: lambda.IFunction;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * The HTTP API: exactly the broker's routes (lib/http/routes.ts), each behind the caller JWT
 * authorizer and the stage's scopes but the public health check, exact-origin CORS, throttling and
 * an access log without headers (`requestId` there is the function's `correlation_id`).
 */
export class BrokerApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: BrokerApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, "Http", {
      apiName: props.service,
      description: `Token broker (${props.stageName})`,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.stage.corsOrigins,
        // The handler answers preflights locally with this same policy (one computation).
        allowMethods: [...props.cors.allowMethods, "OPTIONS"].map((m) => m as CorsHttpMethod),
        allowHeaders: props.cors.allowHeaders,
        // Without it a browser cannot read Retry-After (503) or WWW-Authenticate (401).
        exposeHeaders: props.cors.exposeHeaders,
        maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
      },
    });
    const accessLogs = new logs.LogGroup(this, "AccessLogs", {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stage = new HttpStage(this, "Stage", {
      httpApi: this.api,
      stageName: "$default",
      autoDeploy: true,
      throttle: props.stage.throttling,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // No headers: the Authorization header never reaches the access log.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            ip: "$context.identity.sourceIp",
            routeKey: "$context.routeKey",
            status: "$context.status",
            latencyMs: "$context.responseLatency",
            integrationStatus: "$context.integrationStatus",
            authorizerError: "$context.authorizer.error",
            caller: "$context.authorizer.claims.sub",
          }),
        ),
      },
    });
    const authorizer = new HttpJwtAuthorizer("CallerJwt", props.stage.auth.issuer, {
      jwtAudience: props.stage.auth.audience,
      identitySource: ["$request.header.Authorization"],
    });
    const integration = new HttpLambdaIntegration("TokenIntegration", props.handler);
    for (const routeKey of Object.values(ROUTES)) {
      const [method, path] = routeKey.split(" ") as [keyof typeof HttpMethod, string];
      const isPublic = PUBLIC_ROUTES.includes(routeKey);
      const [route] = this.api.addRoutes({
        path,
        methods: [HttpMethod[method]],
        integration,
        ...(isPublic
          ? { authorizer: new HttpNoneAuthorizer() }
          : { authorizer, authorizationScopes: props.stage.auth.requiredScopes }),
      });
      if (isPublic && route) {
        acknowledge(route, [
          {
            id: "AwsSolutions-APIG4",
            reason: "The health check is public by design: it returns {status: ok} and no data.",
          },
        ]);
      }
    }
  }
}
