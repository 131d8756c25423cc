// Contacts and their trigger events (Loops' contacts and events API shapes).

import { segment, type RequestOptions } from "../http.js";
import type { ListResult } from "../list.js";
import type {
  Contact,
  ContactEvent,
  ContactEventSendParams,
  ContactWriteParams,
  ListFilters,
  PageParams,
  ResponseBody,
} from "../types.js";
import { Resource } from "./resource.js";

export class ContactsResource extends Resource {
  /** Creates a contact (publishes `contact.created`) → `{success, id}`; an email already there is a `409`. */
  create(params: ContactWriteParams, options?: RequestOptions): Promise<ResponseBody<"/v1/contacts", "post">> {
    return this.http.request({ method: "POST", path: "/v1/contacts", body: params, options });
  }

  /** `PUT /v1/contacts`: updates the contact with this `email` (or `userId`), or creates it. */
  upsert(params: ContactWriteParams): Promise<ResponseBody<"/v1/contacts", "put">> {
    return this.http.request({ method: "PUT", path: "/v1/contacts", body: params });
  }

  retrieve(id: string): Promise<Contact> {
    return this.http.request({ method: "GET", path: `/v1/contacts/${segment(id)}` });
  }

  /** Deletes the contact (publishes `contact.deleted`). */
  del(id: string): Promise<ResponseBody<"/v1/contacts/{id}", "delete">> {
    return this.http.request({ method: "DELETE", path: `/v1/contacts/${segment(id)}` });
  }

  /** Newest first; `{email}` finds one (a list of 0 or 1, as Loops' find does). */
  list(params?: PageParams & ListFilters<"/v1/contacts">): ListResult<Contact> {
    return this.paged("/v1/contacts", params);
  }
}

export class ContactEventsResource extends Resource {
  /** Records a trigger event (creating the contact if missing), publishes `event.triggered`. */
  create(
    params: ContactEventSendParams,
    options?: RequestOptions,
  ): Promise<ResponseBody<"/v1/contact-events", "post">> {
    return this.http.request({ method: "POST", path: "/v1/contact-events", body: params, options });
  }

  /** The trigger events of `email`, newest first. */
  list(params: PageParams & ListFilters<"/v1/contact-events">): ListResult<ContactEvent> {
    return this.paged("/v1/contact-events", params);
  }
}
