/** Declarative (Kaspr-style) YAML manifests: load and validate, apply to an app, or build an app from them. */

export { appSettings, type CreateAppOptions, createAppFromManifests } from './app.ts'
export { type AppliedManifests, applyManifests } from './apply.ts'
export { describeManifests, type RunManifestsOptions, runManifests, withManifests } from './cli.ts'
export { formatIssue, ManifestCodeError, ManifestError, type ManifestIssue } from './issues.ts'
export { type LoadOptions, loadManifests } from './load.ts'
export { declaredChannel, declaredOrigin, webViews } from './registry.ts'
export type { AnyResource, ManifestSet, Resource } from './resources.ts'
export { manifestJsonSchema, RESOURCE_KINDS, type ResourceKind } from './schema.ts'
export type { DeclaredWebView, WebViewRequest, WebViewResponse } from './webview.ts'
