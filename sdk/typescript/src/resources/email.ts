// Email templates, workflows, transactional sends, and what was sent.

import { segment, type RequestOptions } from "../http.js";
import type { ListResult } from "../list.js";
import type {
  EmailTemplate,
  EmailTemplateCreateParams,
  EmailTemplateUpdateParams,
  ListFilters,
  PageParams,
  ResponseBody,
  SentEmail,
  TemplatePreviewParams,
  TransactionalSendParams,
  Workflow,
  WorkflowCreateParams,
  WorkflowRun,
  WorkflowUpdateParams,
} from "../types.js";
import { Resource } from "./resource.js";

export class EmailTemplatesResource extends Resource {
  /** `{name, subject, html, text?}` (MiniJinja); a template that does not parse is a `400`. */
  create(params: EmailTemplateCreateParams, options?: RequestOptions): Promise<EmailTemplate> {
    return this.http.request({ method: "POST", path: "/v1/email-templates", body: params, options });
  }

  retrieve(id: string): Promise<EmailTemplate> {
    return this.http.request({ method: "GET", path: `/v1/email-templates/${segment(id)}` });
  }

  update(id: string, params: EmailTemplateUpdateParams): Promise<EmailTemplate> {
    return this.http.request({ method: "PATCH", path: `/v1/email-templates/${segment(id)}`, body: params });
  }

  /** `409` while an active workflow uses it. */
  del(id: string): Promise<ResponseBody<"/v1/email-templates/{id}", "delete">> {
    return this.http.request({ method: "DELETE", path: `/v1/email-templates/${segment(id)}` });
  }

  list(params?: PageParams & ListFilters<"/v1/email-templates">): ListResult<EmailTemplate> {
    return this.paged("/v1/email-templates", params);
  }

  /** Renders with the given (or sample) contact and event properties; nothing is sent. */
  preview(
    id: string,
    params: TemplatePreviewParams = {},
    options?: RequestOptions,
  ): Promise<ResponseBody<"/v1/email-templates/{id}/preview", "post">> {
    return this.http.request({ method: "POST", path: `/v1/email-templates/${segment(id)}/preview`, body: params, options });
  }
}

/** `/v1/workflows` (`email.md`): steps run in order, each trigger event starts one run. */
export class WorkflowsResource extends Resource {
  /** `{name, trigger: {eventName}, audience?: {userGroup}, steps: [...], status?}`. */
  create(params: WorkflowCreateParams, options?: RequestOptions): Promise<Workflow> {
    return this.http.request({ method: "POST", path: "/v1/workflows", body: params, options });
  }

  retrieve(id: string): Promise<Workflow> {
    return this.http.request({ method: "GET", path: `/v1/workflows/${segment(id)}` });
  }

  update(id: string, params: WorkflowUpdateParams): Promise<Workflow> {
    return this.http.request({ method: "PATCH", path: `/v1/workflows/${segment(id)}`, body: params });
  }

  /** A deleted workflow's runs stop. */
  del(id: string): Promise<ResponseBody<"/v1/workflows/{id}", "delete">> {
    return this.http.request({ method: "DELETE", path: `/v1/workflows/${segment(id)}` });
  }

  list(params?: PageParams & ListFilters<"/v1/workflows">): ListResult<Workflow> {
    return this.paged("/v1/workflows", params);
  }

  /** The workflow's runs, newest first. */
  listRuns(id: string, params?: PageParams & ListFilters<"/v1/workflows/{id}/runs">): ListResult<WorkflowRun> {
    return this.paged(`/v1/workflows/${segment(id)}/runs`, params);
  }
}

export class TransactionalResource extends Resource {
  /** `{transactionalId, email, dataVariables?, addToAudience?}`; one email per Idempotency-Key. */
  send(
    params: TransactionalSendParams,
    options?: RequestOptions,
  ): Promise<ResponseBody<"/v1/transactional", "post">> {
    return this.http.request({ method: "POST", path: "/v1/transactional", body: params, options });
  }
}

export class EmailsResource extends Resource {
  retrieve(id: string): Promise<SentEmail> {
    return this.http.request({ method: "GET", path: `/v1/emails/${segment(id)}` });
  }

  /** What was sent (to `email`, when given), newest first. */
  list(params?: PageParams & ListFilters<"/v1/emails">): ListResult<SentEmail> {
    return this.paged("/v1/emails", params);
  }
}
