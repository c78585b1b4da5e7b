//! Configuration management is billed (SPEC §1): `install_only` as a one-off setup fee
//! when the persistent VM is made, `install_and_maintain` as a fee per hour the VM is
//! billed. They show as lines of the project's usage, next to the VM's own.

use crate::{Engine, Result};
use gureum_api_types::UsageLine;
use gureum_model::billing;
use gureum_model::lean::ConfigurationManagement;
use gureum_store::PersistentVmRecord;
use uuid::Uuid;

impl Engine {
    /// The configuration-management lines of a project's usage within `from`..`to`,
    /// given its instances' lines (the recurring fee follows their billed seconds).
    pub(crate) async fn management_lines(
        &self,
        project_id: Uuid,
        from: i64,
        to: i64,
        instances: &[UsageLine],
    ) -> Result<Vec<UsageLine>> {
        let mut lines = vec![];
        for vm in self.store().list_all::<PersistentVmRecord>(&[("project_id", project_id.into())]).await? {
            let fees = vm.configuration_management.fees();
            let own: Vec<&UsageLine> = instances.iter().filter(|l| l.instance_id == vm.id).collect();
            let instance = own.first().map_or_else(|| vm.id.to_string(), |l| l.instance.clone());
            let line = |seconds, price_per_hour, cost| UsageLine {
                instance_id: vm.id,
                instance: instance.clone(),
                instance_type: format!("configuration management: {}", vm.configuration_management),
                seconds,
                price_per_hour,
                cost,
            };
            match vm.configuration_management {
                ConfigurationManagement::None => {}
                ConfigurationManagement::InstallOnly if (from..to).contains(&vm.created_at) => {
                    lines.push(line(0, 0.0, fees.setup));
                }
                ConfigurationManagement::InstallOnly => {}
                ConfigurationManagement::InstallAndMaintain => {
                    let seconds = own.iter().map(|l| l.seconds).sum();
                    lines.push(line(seconds, fees.per_hour, billing::cost(seconds, fees.per_hour)));
                }
            }
        }
        Ok(lines)
    }
}
