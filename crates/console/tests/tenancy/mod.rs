//! Resellers and customers in the console: the pages, their create forms, and the
//! project and user forms preselecting the caller's reseller and customer.

use super::*;
use gureum_api_types::{PasswordSet, TenancyRole, TenantCreate, UserCreate};

/// A reseller admin `ra` of reseller `acme-r`, customer `acme`, with a password.
async fn reseller_admin(t: &TestEngine) {
    let ctx = &t.admin;
    t.engine.reseller_create(ctx, TenantCreate { name: "acme-r".into(), description: None }).await.unwrap();
    t.engine.customer_create(ctx, "acme-r", TenantCreate { name: "acme".into(), description: None }).await.unwrap();
    let u = UserCreate {
        name: "ra".into(),
        reseller: Some("acme-r".into()),
        customer: Some("acme".into()),
        tenancy_role: Some(TenancyRole::ResellerAdmin),
        ..Default::default()
    };
    t.engine.user_create(ctx, u).await.unwrap();
    t.engine.user_set_password(ctx, "ra", PasswordSet { password: PASSWORD.into() }).await.unwrap();
}

#[tokio::test]
async fn resellers_and_customers_pages_list_and_create() {
    let t = setup().await;
    reseller_admin(&t).await;
    let mut b = Browser::new(&t);
    b.login("admin", PASSWORD).await;
    let page = b.page("/resellers").await;
    assert!(page.body.contains("default") && page.body.contains("acme-r"), "{}", page.body);
    let r = b.submit("/resellers", "/resellers", &[("name", "globex-r"), ("description", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b.submit("/resellers", "/resellers", &[("name", "1bad"), ("description", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("create-reseller-name"), "the error sits at its field: {}", r.body);

    let mut ra = Browser::new(&t);
    ra.login("ra", PASSWORD).await;
    let page = ra.page("/resellers").await;
    assert!(page.body.contains("acme-r") && !page.body.contains("globex-r"), "{}", page.body);
    assert!(!page.body.contains("create-reseller"), "only system administrators make resellers");
    let r = ra.submit("/resellers/acme-r/customers", "/resellers/acme-r/customers", &[("name", "initech")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = ra.page("/resellers/acme-r/customers").await;
    assert!(page.body.contains("initech") && page.body.contains("(no limit)"), "{}", page.body);
    assert_eq!(ra.get("/resellers/globex-r/customers").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn project_and_user_forms_preselect_the_callers_reseller_and_customer() {
    let t = setup().await;
    reseller_admin(&t).await;
    let mut ra = Browser::new(&t);
    ra.login("ra", PASSWORD).await;
    for page in ["/projects", "/users"] {
        let body = ra.page(page).await.body;
        assert!(body.contains("value=\"acme-r\"") && body.contains("value=\"acme\""), "{page}: {body}");
    }
    let r =
        ra.submit("/projects", "/projects", &[("name", "shop"), ("reseller", "acme-r"), ("customer", "acme")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shop = t.engine.project_get(&t.admin, "shop").await.unwrap();
    assert_eq!((shop.reseller.as_str(), shop.customer.as_str()), ("acme-r", "acme"));
    let r = ra.submit("/projects", "/projects", &[("name", "x"), ("reseller", "default"), ("customer", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("no reseller"), "{}", r.body);
}
