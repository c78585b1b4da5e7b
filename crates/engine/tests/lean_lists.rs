//! Lean lists read a row and then its instance; a delete finishing between the two
//! reads must leave the VM out of the list, not fail the whole list.

mod support;

use gureum_engine::Error;
use gureum_model::lean::{ConfigurationManagement, PersistentVmType};
use gureum_store::{PersistentVmRecord, Record, new_id, now};
use support::H;

#[tokio::test(flavor = "multi_thread")]
async fn a_persistent_vm_whose_instance_went_is_left_out_of_the_list() {
    let h = H::start().await;
    h.project("p").await;
    let project = h.engine().project_get(h.admin(), "p").await.expect("project");
    // The row a delete has not yet marked, for an instance it already removed.
    let id = new_id();
    let row = PersistentVmRecord {
        id,
        project_id: project.id,
        template_id: new_id(),
        template_version: 1,
        pool_id: new_id(),
        node_id: None,
        description: "mid-delete".into(),
        vm_type: PersistentVmType::Server,
        software_stack_id: None,
        environment: None,
        configuration_management: ConfigurationManagement::None,
        reseller_id: None,
        customer_id: None,
        created_at: now(),
        deleted_at: None,
    };
    h.engine().store().write(row.insert()).await.expect("row");

    let list = h.engine().persistent_vm_list(h.admin(), "p").await.expect("the list answers");
    assert!(list.is_empty(), "{list:?}");
    let err = h.engine().persistent_vm_get(h.admin(), "p", &id.to_string()).await.expect_err("gone");
    assert!(matches!(err, Error::NotFound { kind: "persistent VM", .. }), "{err:?}");
}
