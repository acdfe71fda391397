/**
 * Generated from docs/openapi.json by openapi-typescript (npm run build:client). Do not edit.
 */

export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/connections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The connections this caller may use */
        get: operations["listConnections"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/connections/{name}/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A ready-to-send credential for the connection */
        post: operations["getCredential"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/connections/{name}/proxy/{path}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Call the connection's upstream through the broker (proxy mode)
         * @description Forwards to `{proxy.baseUrl}/{path}?{query}` with the connection's credential injected; the upstream's status, allow-listed headers and body are returned as they are (binary-safe). The credential never reaches the caller.
         */
        get: operations["proxyGet"];
        /**
         * Call the connection's upstream through the broker (proxy mode)
         * @description Forwards to `{proxy.baseUrl}/{path}?{query}` with the connection's credential injected; the upstream's status, allow-listed headers and body are returned as they are (binary-safe). The credential never reaches the caller.
         */
        put: operations["proxyPut"];
        /**
         * Call the connection's upstream through the broker (proxy mode)
         * @description Forwards to `{proxy.baseUrl}/{path}?{query}` with the connection's credential injected; the upstream's status, allow-listed headers and body are returned as they are (binary-safe). The credential never reaches the caller.
         */
        post: operations["proxyPost"];
        /**
         * Call the connection's upstream through the broker (proxy mode)
         * @description Forwards to `{proxy.baseUrl}/{path}?{query}` with the connection's credential injected; the upstream's status, allow-listed headers and body are returned as they are (binary-safe). The credential never reaches the caller.
         */
        delete: operations["proxyDelete"];
        options?: never;
        /**
         * Call the connection's upstream through the broker (proxy mode)
         * @description Forwards to `{proxy.baseUrl}/{path}?{query}` with the connection's credential injected; the upstream's status, allow-listed headers and body are returned as they are (binary-safe). The credential never reaches the caller.
         */
        head: operations["proxyHead"];
        /**
         * Call the connection's upstream through the broker (proxy mode)
         * @description Forwards to `{proxy.baseUrl}/{path}?{query}` with the connection's credential injected; the upstream's status, allow-listed headers and body are returned as they are (binary-safe). The credential never reaches the caller.
         */
        patch: operations["proxyPatch"];
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Health: {
            /** @constant */
            status: "ok";
        };
        Credential: {
            connection: string;
            /** @description Header name to value, ready to send */
            headers: {
                [key: string]: string;
            };
            /** Format: date-time */
            expiresAt: string;
            /** @description Whole seconds left, on the broker's clock */
            expiresIn: number;
            /** @description Exchanged credentials only: names the upstream token (128 bits of its SHA-256, never the token). Send it back as rejectedTokenId when the upstream rejected the token. */
            tokenId?: string;
        };
        ConnectionSummary: {
            name: string;
            /** @enum {unknown} */
            scheme: "static" | "signed-jwt" | "oauth2-client-credentials" | "token-exchange";
            preset?: string;
            description?: string;
            /** @enum {unknown} */
            delivery: "headers" | "proxy" | "both";
            /**
             * @description What the credential exposes in a caller's hands. per-request: a signature for one request, expiring within 300 s (headers by default); replayable: a minted JWT without a short exp; long-lived: a static credential; shared: an upstream token every caller of the connection shares. Only per-request credentials are delivered as headers unless the connection's config names headers delivery.
             * @enum {unknown}
             */
            exposure: "per-request" | "replayable" | "long-lived" | "shared";
        };
        ConnectionList: {
            connections: components["schemas"]["ConnectionSummary"][];
        };
        /** @description RFC 9457 problem details */
        Problem: {
            type: components["schemas"]["ProblemType"];
            title: string;
            status: number;
            detail: string;
            /** @description Find the log lines with it */
            requestId?: string;
            upstreamStatus?: number;
            /** @description RFC 6749 5.2 error code from the upstream */
            upstreamError?: string;
        };
        /**
         * @description `bad-request` (400): Malformed JSON or an unknown body field; an unparseable request target.; `unauthorized` (401): No caller JWT, or one that does not verify (answered by the broker locally; by API Gateway in AWS, as {"message":"Unauthorized"}).; `insufficient-scope` (403): The caller JWT lacks every scope the route accepts (locally; API Gateway answers 403 itself in AWS).; `origin-not-allowed` (403): A browser Origin outside the stage's allow-list.; `connection-access-denied` (403): The connection's access policy does not admit the caller.; `connection-proxy-only` (403): POST .../token on a connection delivered through the proxy only.; `proxy-not-enabled` (403): The proxy route on a connection with delivery "headers".; `proxy-request-not-allowed` (403): No proxy.allow rule admits this method and path.; `proxy-path-invalid` (400): A proxy path or query refused before matching.; `not-found` (404): No such route.; `connection-not-found` (404): No such connection.; `method-not-allowed` (405): A known path with another method (see Allow).; `payload-too-large` (413): A body over the route's limit.; `unsupported-media-type` (415): A token request body that is not application/json.; `internal` (500): A bug: logged with its stack frames, answered without details.; `secret-not-found` (500): The connection's secret is missing or unreadable.; `secret-invalid` (500): The secret is not a JSON object, lacks a field, or holds a key too short for its algorithm.; `upstream-error` (502): The upstream refused or failed the token request.; `upstream-credentials-rejected` (502): The upstream rejected the connection's credentials even after re-reading the secret.; `upstream-refresh-rejected` (502): The upstream refused a refresh token and the full exchange failed too.; `upstream-invalid-response` (502): The upstream's token response is unusable.; `proxy-response-too-large` (502): The upstream's answer to a proxied request exceeds proxy.maxResponseBytes.; `upstream-unavailable` (503): The upstream is unreachable, rate limiting (429) or unavailable (503); Retry-After when known.; `token-refresh-pending` (503): Another instance is refreshing this token; Retry-After: 1.; `upstream-timeout` (504): The upstream did not answer in time.; `forced-refresh-not-enabled` (403): a rejectedTokenId on a connection without forcedRefresh; `forced-refresh-rate-limited` (429): a forced refresh happened moments ago (Retry-After)
         * @enum {unknown}
         */
        ProblemType: "urn:token-broker:problem:bad-request" | "urn:token-broker:problem:unauthorized" | "urn:token-broker:problem:insufficient-scope" | "urn:token-broker:problem:origin-not-allowed" | "urn:token-broker:problem:connection-access-denied" | "urn:token-broker:problem:connection-proxy-only" | "urn:token-broker:problem:proxy-not-enabled" | "urn:token-broker:problem:proxy-request-not-allowed" | "urn:token-broker:problem:proxy-path-invalid" | "urn:token-broker:problem:not-found" | "urn:token-broker:problem:connection-not-found" | "urn:token-broker:problem:method-not-allowed" | "urn:token-broker:problem:payload-too-large" | "urn:token-broker:problem:unsupported-media-type" | "urn:token-broker:problem:internal" | "urn:token-broker:problem:secret-not-found" | "urn:token-broker:problem:secret-invalid" | "urn:token-broker:problem:upstream-error" | "urn:token-broker:problem:upstream-credentials-rejected" | "urn:token-broker:problem:upstream-refresh-rejected" | "urn:token-broker:problem:upstream-invalid-response" | "urn:token-broker:problem:proxy-response-too-large" | "urn:token-broker:problem:upstream-unavailable" | "urn:token-broker:problem:token-refresh-pending" | "urn:token-broker:problem:upstream-timeout" | "urn:token-broker:problem:forced-refresh-not-enabled" | "urn:token-broker:problem:forced-refresh-rate-limited";
    };
    responses: {
        /** @description `bad-request`; `proxy-path-invalid` */
        Problem400: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `unauthorized` */
        Problem401: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                /** @description Bearer error="invalid_token" when a bearer token was sent and refused; Bearer alone when none was sent (RFC 6750 3, 3.1) */
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `insufficient-scope`; `origin-not-allowed`; `connection-access-denied`; `connection-proxy-only`; `proxy-not-enabled`; `proxy-request-not-allowed`; `forced-refresh-not-enabled` */
        Problem403: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `not-found`; `connection-not-found` */
        Problem404: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `method-not-allowed` */
        Problem405: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                /** @description The methods this path accepts */
                Allow?: string;
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `payload-too-large` */
        Problem413: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `unsupported-media-type` */
        Problem415: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `internal`; `secret-not-found`; `secret-invalid` */
        Problem500: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `upstream-error`; `upstream-credentials-rejected`; `upstream-refresh-rejected`; `upstream-invalid-response`; `proxy-response-too-large` */
        Problem502: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `upstream-unavailable`; `token-refresh-pending` */
        Problem503: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `upstream-timeout` */
        Problem504: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `forced-refresh-rate-limited` */
        Problem429: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description Either the upstream's own answer with this status (marked `x-broker-proxied: upstream`, any media type), or the broker's problem (no `x-broker-proxied`; application/problem+json): `bad-request`; `proxy-path-invalid` */
        ProxyProblem400: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "x-broker-proxied": components["headers"]["BrokerProxied"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
                "*/*": unknown;
            };
        };
        /** @description Either the upstream's own answer with this status (marked `x-broker-proxied: upstream`, any media type), or the broker's problem (no `x-broker-proxied`; application/problem+json): `unauthorized` */
        ProxyProblem401: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                /** @description Bearer error="invalid_token" when a bearer token was sent and refused; Bearer alone when none was sent (RFC 6750 3, 3.1) */
                "WWW-Authenticate"?: string;
                "x-broker-proxied": components["headers"]["BrokerProxied"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
                "*/*": unknown;
            };
        };
        /** @description Either the upstream's own answer with this status (marked `x-broker-proxied: upstream`, any media type), or the broker's problem (no `x-broker-proxied`; application/problem+json): `insufficient-scope`; `origin-not-allowed`; `connection-access-denied`; `connection-proxy-only`; `proxy-not-enabled`; `proxy-request-not-allowed`; `forced-refresh-not-enabled` */
        ProxyProblem403: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "x-broker-proxied": components["headers"]["BrokerProxied"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
                "*/*": unknown;
            };
        };
        /** @description Either the upstream's own answer with this status (marked `x-broker-proxied: upstream`, any media type), or the broker's problem (no `x-broker-proxied`; application/problem+json): `not-found`; `connection-not-found` */
        ProxyProblem404: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "x-broker-proxied": components["headers"]["BrokerProxied"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
                "*/*": unknown;
            };
        };
        /** @description Either the upstream's own answer with this status (marked `x-broker-proxied: upstream`, any media type), or the broker's problem (no `x-broker-proxied`; application/problem+json): `payload-too-large` */
        ProxyProblem413: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "x-broker-proxied": components["headers"]["BrokerProxied"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
                "*/*": unknown;
            };
        };
        /** @description Either the upstream's own answer with this status (marked `x-broker-proxied: upstream`, any media type), or the broker's problem (no `x-broker-proxied`; application/problem+json): `internal`; `secret-not-found`; `secret-invalid` */
        ProxyProblem500: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "x-broker-proxied": components["headers"]["BrokerProxied"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
                "*/*": unknown;
            };
        };
        /** @description Either the upstream's own answer with this status (marked `x-broker-proxied: upstream`, any media type), or the broker's problem (no `x-broker-proxied`; application/problem+json): `upstream-error`; `upstream-credentials-rejected`; `upstream-refresh-rejected`; `upstream-invalid-response`; `proxy-response-too-large` */
        ProxyProblem502: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "x-broker-proxied": components["headers"]["BrokerProxied"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
                "*/*": unknown;
            };
        };
        /** @description Either the upstream's own answer with this status (marked `x-broker-proxied: upstream`, any media type), or the broker's problem (no `x-broker-proxied`; application/problem+json): `upstream-unavailable`; `token-refresh-pending` */
        ProxyProblem503: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "Retry-After": components["headers"]["RetryAfter"];
                "x-broker-proxied": components["headers"]["BrokerProxied"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
                "*/*": unknown;
            };
        };
        /** @description Either the upstream's own answer with this status (marked `x-broker-proxied: upstream`, any media type), or the broker's problem (no `x-broker-proxied`; application/problem+json): `upstream-timeout` */
        ProxyProblem504: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "x-broker-proxied": components["headers"]["BrokerProxied"];
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
                "*/*": unknown;
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description Always no-store */
        CacheControl: "no-store";
        /** @description Seconds to wait before retrying */
        RetryAfter: string;
        /** @description Set by the broker on every answer that passed through the proxy (the upstream's own status, headers and body), and on no answer of the broker's own. Exposed to browsers by CORS. */
        BrokerProxied: "upstream";
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Up */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok"
                     *     }
                     */
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    listConnections: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Connections */
            200: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "connections": [
                     *         {
                     *           "name": "demo-signed",
                     *           "scheme": "signed-jwt",
                     *           "preset": "x-signature",
                     *           "description": "API key + JWT signing",
                     *           "delivery": "both",
                     *           "exposure": "per-request"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["ConnectionList"];
                };
            };
            401: components["responses"]["Problem401"];
            403: components["responses"]["Problem403"];
            500: components["responses"]["Problem500"];
        };
    };
    getCredential: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    /** @description Forced refresh (connections with forcedRefresh): the tokenId of a credential the upstream rejected. The broker refreshes only if that token is still the cached one, so many callers reporting it cause one refresh; at most one forced refresh per connection's interval (else 429). */
                    rejectedTokenId?: string;
                };
            };
        };
        responses: {
            /** @description Headers to send to the upstream, valid until expiresAt */
            200: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "connection": "demo-signed",
                     *       "headers": {
                     *         "x-api-key": "demo-api-key-0001",
                     *         "x-signature": "eyJhbGciOiJIUzI1NiJ9.eyJrZXkiOiJkZW1vIn0.c2ln"
                     *       },
                     *       "expiresAt": "2026-11-23T12:00:15.000Z",
                     *       "expiresIn": 14
                     *     }
                     */
                    "application/json": components["schemas"]["Credential"];
                };
            };
            400: components["responses"]["Problem400"];
            401: components["responses"]["Problem401"];
            403: components["responses"]["Problem403"];
            404: components["responses"]["Problem404"];
            405: components["responses"]["Problem405"];
            413: components["responses"]["Problem413"];
            415: components["responses"]["Problem415"];
            429: components["responses"]["Problem429"];
            500: components["responses"]["Problem500"];
            502: components["responses"]["Problem502"];
            503: components["responses"]["Problem503"];
            504: components["responses"]["Problem504"];
        };
    };
    proxyGet: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection name */
                name: string;
                /** @description The path below proxy.baseUrl: one or more segments, sent with its `/` separators as they are (API Gateway's greedy `{path+}`). OpenAPI cannot express a path parameter holding `/`, so a generated client must not percent-encode this one: an encoded `%2F` is refused (400 `proxy-path-invalid`), as are dot segments (also `..;x`), empty segments and double encoding. What passes is forwarded byte for byte. */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            400: components["responses"]["ProxyProblem400"];
            401: components["responses"]["ProxyProblem401"];
            403: components["responses"]["ProxyProblem403"];
            404: components["responses"]["ProxyProblem404"];
            413: components["responses"]["ProxyProblem413"];
            500: components["responses"]["ProxyProblem500"];
            502: components["responses"]["ProxyProblem502"];
            503: components["responses"]["ProxyProblem503"];
            504: components["responses"]["ProxyProblem504"];
            /** @description The upstream's own answer (any status, any media type), marked `x-broker-proxied: upstream`, with the connection's allow-listed headers plus Cache-Control: no-store */
            default: {
                headers: {
                    "x-broker-proxied": components["headers"]["BrokerProxied"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    proxyPut: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection name */
                name: string;
                /** @description The path below proxy.baseUrl: one or more segments, sent with its `/` separators as they are (API Gateway's greedy `{path+}`). OpenAPI cannot express a path parameter holding `/`, so a generated client must not percent-encode this one: an encoded `%2F` is refused (400 `proxy-path-invalid`), as are dot segments (also `..;x`), empty segments and double encoding. What passes is forwarded byte for byte. */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "*/*": unknown;
            };
        };
        responses: {
            400: components["responses"]["ProxyProblem400"];
            401: components["responses"]["ProxyProblem401"];
            403: components["responses"]["ProxyProblem403"];
            404: components["responses"]["ProxyProblem404"];
            413: components["responses"]["ProxyProblem413"];
            500: components["responses"]["ProxyProblem500"];
            502: components["responses"]["ProxyProblem502"];
            503: components["responses"]["ProxyProblem503"];
            504: components["responses"]["ProxyProblem504"];
            /** @description The upstream's own answer (any status, any media type), marked `x-broker-proxied: upstream`, with the connection's allow-listed headers plus Cache-Control: no-store */
            default: {
                headers: {
                    "x-broker-proxied": components["headers"]["BrokerProxied"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    proxyPost: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection name */
                name: string;
                /** @description The path below proxy.baseUrl: one or more segments, sent with its `/` separators as they are (API Gateway's greedy `{path+}`). OpenAPI cannot express a path parameter holding `/`, so a generated client must not percent-encode this one: an encoded `%2F` is refused (400 `proxy-path-invalid`), as are dot segments (also `..;x`), empty segments and double encoding. What passes is forwarded byte for byte. */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "*/*": unknown;
            };
        };
        responses: {
            400: components["responses"]["ProxyProblem400"];
            401: components["responses"]["ProxyProblem401"];
            403: components["responses"]["ProxyProblem403"];
            404: components["responses"]["ProxyProblem404"];
            413: components["responses"]["ProxyProblem413"];
            500: components["responses"]["ProxyProblem500"];
            502: components["responses"]["ProxyProblem502"];
            503: components["responses"]["ProxyProblem503"];
            504: components["responses"]["ProxyProblem504"];
            /** @description The upstream's own answer (any status, any media type), marked `x-broker-proxied: upstream`, with the connection's allow-listed headers plus Cache-Control: no-store */
            default: {
                headers: {
                    "x-broker-proxied": components["headers"]["BrokerProxied"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    proxyDelete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection name */
                name: string;
                /** @description The path below proxy.baseUrl: one or more segments, sent with its `/` separators as they are (API Gateway's greedy `{path+}`). OpenAPI cannot express a path parameter holding `/`, so a generated client must not percent-encode this one: an encoded `%2F` is refused (400 `proxy-path-invalid`), as are dot segments (also `..;x`), empty segments and double encoding. What passes is forwarded byte for byte. */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "*/*": unknown;
            };
        };
        responses: {
            400: components["responses"]["ProxyProblem400"];
            401: components["responses"]["ProxyProblem401"];
            403: components["responses"]["ProxyProblem403"];
            404: components["responses"]["ProxyProblem404"];
            413: components["responses"]["ProxyProblem413"];
            500: components["responses"]["ProxyProblem500"];
            502: components["responses"]["ProxyProblem502"];
            503: components["responses"]["ProxyProblem503"];
            504: components["responses"]["ProxyProblem504"];
            /** @description The upstream's own answer (any status, any media type), marked `x-broker-proxied: upstream`, with the connection's allow-listed headers plus Cache-Control: no-store */
            default: {
                headers: {
                    "x-broker-proxied": components["headers"]["BrokerProxied"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    proxyHead: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection name */
                name: string;
                /** @description The path below proxy.baseUrl: one or more segments, sent with its `/` separators as they are (API Gateway's greedy `{path+}`). OpenAPI cannot express a path parameter holding `/`, so a generated client must not percent-encode this one: an encoded `%2F` is refused (400 `proxy-path-invalid`), as are dot segments (also `..;x`), empty segments and double encoding. What passes is forwarded byte for byte. */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            400: components["responses"]["ProxyProblem400"];
            401: components["responses"]["ProxyProblem401"];
            403: components["responses"]["ProxyProblem403"];
            404: components["responses"]["ProxyProblem404"];
            413: components["responses"]["ProxyProblem413"];
            500: components["responses"]["ProxyProblem500"];
            502: components["responses"]["ProxyProblem502"];
            503: components["responses"]["ProxyProblem503"];
            504: components["responses"]["ProxyProblem504"];
            /** @description The upstream's own answer (any status, any media type), marked `x-broker-proxied: upstream`, with the connection's allow-listed headers plus Cache-Control: no-store */
            default: {
                headers: {
                    "x-broker-proxied": components["headers"]["BrokerProxied"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    proxyPatch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection name */
                name: string;
                /** @description The path below proxy.baseUrl: one or more segments, sent with its `/` separators as they are (API Gateway's greedy `{path+}`). OpenAPI cannot express a path parameter holding `/`, so a generated client must not percent-encode this one: an encoded `%2F` is refused (400 `proxy-path-invalid`), as are dot segments (also `..;x`), empty segments and double encoding. What passes is forwarded byte for byte. */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "*/*": unknown;
            };
        };
        responses: {
            400: components["responses"]["ProxyProblem400"];
            401: components["responses"]["ProxyProblem401"];
            403: components["responses"]["ProxyProblem403"];
            404: components["responses"]["ProxyProblem404"];
            413: components["responses"]["ProxyProblem413"];
            500: components["responses"]["ProxyProblem500"];
            502: components["responses"]["ProxyProblem502"];
            503: components["responses"]["ProxyProblem503"];
            504: components["responses"]["ProxyProblem504"];
            /** @description The upstream's own answer (any status, any media type), marked `x-broker-proxied: upstream`, with the connection's allow-listed headers plus Cache-Control: no-store */
            default: {
                headers: {
                    "x-broker-proxied": components["headers"]["BrokerProxied"];
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
}
