// Where each role's work is, the first screen after login and the first tab: members at home,
// secretaries at the dispatch desk, street and district admins on their area's overview,
// departments on the cases they were called to (吹哨), party members on the wish wall, the
// 12345 operator on the call form.
const LANDINGS = {
  secretary: { name: 'desk', path: '/desk', icon: 'cluster-o', label: 'tabs.desk' },
  street_admin: { name: 'overview', path: '/overview', icon: 'chart-trending-o', label: 'tabs.overview' },
  district_admin: { name: 'overview', path: '/overview', icon: 'chart-trending-o', label: 'tabs.overview' },
  department: { name: 'called', path: '/called', icon: 'bullhorn-o', label: 'tabs.called' },
  party_member: { name: 'wishes', path: '/wishes', icon: 'like-o', label: 'tabs.wishes' },
  // 联户长: its own group's households (masked), and from there an alarm.
  liaison: { name: 'households', path: '/households', icon: 'wap-home-o', label: 'tabs.households' },
  // 12345: the call form and the cases the operator filed.
  hotline_operator: { name: 'hotline', path: '/hotline', icon: 'phone-o', label: 'tabs.hotline' },
}
// Who has no grid to report in and no tasks: the wish wall's party members, the hotline.
const NO_FIELD_TABS = ['party_member', 'hotline_operator']
const HOME = { name: 'home', path: '/', icon: 'home-o', label: 'tabs.home' }

export function landing(role) {
  return LANDINGS[role] || HOME
}

/** Whether the role has the field's tabs (上报, 任务). */
export function fieldTabs(role) {
  return !NO_FIELD_TABS.includes(role)
}
