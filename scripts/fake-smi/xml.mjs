// `nvidia-smi -q -x` and `-L` of the fake: a trimmed document shaped like fixture 06 (DTD v13, driver 550+).
import { CUDA_VERSION, DRIVER_VERSION, OLD_DRIVER_VERSION, gpuState } from './fields.mjs';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const w = (v) => `${v.toFixed(2)} W`;

// Pre-530 drivers (DTD v11) put power under power_readings with power_limit / enforced_power_limit.
function powerSection(s, oldDriver) {
  const lim = s.gpu.powerLimitW;
  if (oldDriver) {
    return `\t\t<power_readings>
\t\t\t<power_state>${s.pstate}</power_state>
\t\t\t<power_management>Supported</power_management>
\t\t\t<power_draw>${w(s.powerW)}</power_draw>
\t\t\t<power_limit>${w(lim)}</power_limit>
\t\t\t<default_power_limit>${w(lim)}</default_power_limit>
\t\t\t<enforced_power_limit>${w(lim)}</enforced_power_limit>
\t\t\t<min_power_limit>${w(lim * 0.25)}</min_power_limit>
\t\t\t<max_power_limit>${w(lim)}</max_power_limit>
\t\t</power_readings>`;
  }
  return `\t\t<gpu_power_readings>
\t\t\t<power_state>${s.pstate}</power_state>
\t\t\t<average_power_draw>${w(s.powerAvgW)}</average_power_draw>
\t\t\t<instant_power_draw>${w(s.powerW)}</instant_power_draw>
\t\t\t<current_power_limit>${w(lim)}</current_power_limit>
\t\t\t<requested_power_limit>${w(lim)}</requested_power_limit>
\t\t\t<default_power_limit>${w(lim)}</default_power_limit>
\t\t\t<min_power_limit>${w(lim * 0.25)}</min_power_limit>
\t\t\t<max_power_limit>${w(lim)}</max_power_limit>
\t\t</gpu_power_readings>`;
}

// Like the DTD v12/v13 documents, MIG devices are listed without their UUIDs (those come from `-L`).
function migSection(gpu) {
  const migs = gpu.migUuids ?? [];
  if (migs.length === 0) return '\t\t<mig_devices>\n\t\t\tNone\n\t\t</mig_devices>';
  const items = migs.map(
    (_, i) =>
      `\t\t\t<mig_device>\n\t\t\t\t<index>${i}</index>\n\t\t\t\t<gpu_instance_id>${i + 1}</gpu_instance_id>\n` +
      `\t\t\t\t<compute_instance_id>0</compute_instance_id>\n\t\t\t</mig_device>`,
  );
  return `\t\t<mig_devices>\n${items.join('\n')}\n\t\t</mig_devices>`;
}

function processesSection(apps, uuid) {
  const mine = apps.filter((a) => a.gpuUuid === uuid);
  if (mine.length === 0) return '\t\t<processes>\n\t\t</processes>';
  const items = mine.map(
    (a) =>
      `\t\t\t<process_info>\n\t\t\t\t<pid>${a.pid}</pid>\n\t\t\t\t<type>C</type>\n` +
      `\t\t\t\t<process_name>${esc(a.name ?? 'python3')}</process_name>\n` +
      `\t\t\t\t<used_memory>${a.usedMiB == null ? 'N/A' : `${a.usedMiB} MiB`}</used_memory>\n\t\t\t</process_info>`,
  );
  return `\t\t<processes>\n${items.join('\n')}\n\t\t</processes>`;
}

function gpuXml(profile, index, t, oldDriver, apps) {
  const s = gpuState(profile, index, t);
  const g = s.gpu;
  const mig = g.migUuids?.length ? 'Enabled' : 'Disabled';
  return `\t<gpu id="${s.busId}">
\t\t<product_name>${esc(g.name)}</product_name>
\t\t<product_brand>NVIDIA</product_brand>
\t\t<product_architecture>Ampere</product_architecture>
\t\t<persistence_mode>Enabled</persistence_mode>
\t\t<mig_mode>
\t\t\t<current_mig>${mig}</current_mig>
\t\t\t<pending_mig>${mig}</pending_mig>
\t\t</mig_mode>
${migSection(g)}
\t\t<serial>N/A</serial>
\t\t<uuid>${esc(g.uuid)}</uuid>
\t\t<minor_number>${index}</minor_number>
\t\t<pci>
\t\t\t<pci_bus_id>${s.busId}</pci_bus_id>
\t\t</pci>
\t\t<fan_speed>N/A</fan_speed>
\t\t<performance_state>${s.pstate}</performance_state>
\t\t<fb_memory_usage>
\t\t\t<total>${g.memTotalMiB} MiB</total>
\t\t\t<reserved>0 MiB</reserved>
\t\t\t<used>${s.memUsed} MiB</used>
\t\t\t<free>${s.memFree} MiB</free>
\t\t</fb_memory_usage>
\t\t<compute_mode>Default</compute_mode>
\t\t<utilization>
\t\t\t<gpu_util>${s.util} %</gpu_util>
\t\t\t<memory_util>${s.utilMem} %</memory_util>
\t\t</utilization>
\t\t<temperature>
\t\t\t<gpu_temp>${s.tempC} C</gpu_temp>
\t\t</temperature>
${powerSection(s, oldDriver)}
\t\t<clocks>
\t\t\t<graphics_clock>${s.smClock} MHz</graphics_clock>
\t\t\t<sm_clock>${s.smClock} MHz</sm_clock>
\t\t\t<mem_clock>${s.memClock} MHz</mem_clock>
\t\t</clocks>
${processesSection(apps, g.uuid)}
\t\t<accounted_processes>
\t\t</accounted_processes>
\t</gpu>`;
}

/** The whole `-q -x` document for the selected GPU indices at epoch ms t. */
export function inventoryXml(profile, indices, t, { oldDriver = false, apps = [] } = {}) {
  const dtd = oldDriver ? 'v11' : 'v13';
  const gpus = indices.map((i) => gpuXml(profile, i, t, oldDriver, apps)).join('\n');
  return `<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_${dtd}.dtd">
<nvidia_smi_log>
\t<timestamp>${new Date(t).toString().slice(0, 24)}</timestamp>
\t<driver_version>${oldDriver ? OLD_DRIVER_VERSION : DRIVER_VERSION}</driver_version>
\t<cuda_version>${oldDriver ? '12.0' : CUDA_VERSION}</cuda_version>
\t<attached_gpus>${profile.gpus.length}</attached_gpus>
${gpus}

</nvidia_smi_log>
`;
}

/** `nvidia-smi -L`: one line per GPU, then its MIG devices indented. */
export function listGpus(profile, indices) {
  const lines = [];
  for (const i of indices) {
    const g = profile.gpus[i];
    lines.push(`GPU ${i}: ${g.name} (UUID: ${g.uuid})`);
    (g.migUuids ?? []).forEach((m, j) => lines.push(`  MIG 1g.10gb     Device ${String(j).padStart(2)}: (UUID: ${m})`));
  }
  return lines.join('\n') + '\n';
}
