//! `GET /v1/items`, `/v1/transfers`, `/v1/agreements` and their `{id}` forms.

use http::StatusCode;

use super::list::{listed_page, page, ListParams};
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_ground::domain::commerce::TransferStatus;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

pub async fn list_items(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &[])?;
    let (items, has_more) =
        app.store.list_items(&caller.account.id, params.limit, params.starting_after.as_deref()).await?;
    // Items show once their product is known.
    Ok(page(items.iter().filter_map(|(item, product)| item.to_json(product.as_ref())).collect(), has_more))
}

pub async fn get_item(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let (item, product) =
        app.store.get_item(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("item"))?;
    let body = item.to_json(product.as_ref()).ok_or_else(|| ApiError::not_found("item"))?;
    Ok(h::json(StatusCode::OK, &body))
}

pub async fn list_transfers(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &["status"])?;
    let status = params.filter("status");
    if let Some(status) = status {
        use TransferStatus::*;
        if ![Draft, Open, Finalized, Failed, Processed].iter().any(|s| s.as_str() == status) {
            return Err(ApiError::invalid_param(
                "parameter_invalid",
                "status",
                "status must be one of draft, open, finalized, failed, processed.",
            ));
        }
    }
    let listed =
        app.store.list_transfers(&caller.account.id, status, params.limit, params.starting_after.as_deref()).await?;
    Ok(listed_page(&listed, |t| t.to_json()))
}

pub async fn get_transfer(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let transfer =
        app.store.get_transfer(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("transfer"))?;
    Ok(h::json(StatusCode::OK, &transfer.to_json()))
}

pub async fn list_agreements(app: &App, caller: &Caller, request: &Request) -> Result<Response, ApiError> {
    let params = ListParams::parse(request, &[])?;
    let (agreements, has_more) =
        app.store.list_agreements(&caller.account.id, params.limit, params.starting_after.as_deref()).await?;
    Ok(page(agreements.iter().map(|a| a.to_json()).collect(), has_more))
}

pub async fn get_agreement(app: &App, caller: &Caller, id: &str) -> Result<Response, ApiError> {
    let agreement =
        app.store.get_agreement(&caller.account.id, id).await?.ok_or_else(|| ApiError::not_found("agreement"))?;
    Ok(h::json(StatusCode::OK, &agreement.to_json()))
}
