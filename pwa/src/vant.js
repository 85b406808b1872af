// The Vant components the app uses, each with its own styles (nothing else is bundled).
import {
  ActionSheet,
  Button,
  Cell,
  CellGroup,
  Checkbox,
  Empty,
  Field,
  Form,
  Icon,
  Loading,
  NavBar,
  NoticeBar,
  Progress,
  PullRefresh,
  Tab,
  Tabbar,
  TabbarItem,
  Tabs,
  Tag,
} from 'vant'
import 'vant/es/style/base.css'
import 'vant/es/action-sheet/style/index.mjs'
import 'vant/es/button/style/index.mjs'
import 'vant/es/cell/style/index.mjs'
import 'vant/es/cell-group/style/index.mjs'
import 'vant/es/checkbox/style/index.mjs'
import 'vant/es/dialog/style/index.mjs'
import 'vant/es/empty/style/index.mjs'
import 'vant/es/field/style/index.mjs'
import 'vant/es/form/style/index.mjs'
import 'vant/es/icon/style/index.mjs'
import 'vant/es/loading/style/index.mjs'
import 'vant/es/nav-bar/style/index.mjs'
import 'vant/es/notice-bar/style/index.mjs'
import 'vant/es/notify/style/index.mjs'
import 'vant/es/progress/style/index.mjs'
import 'vant/es/pull-refresh/style/index.mjs'
import 'vant/es/tab/style/index.mjs'
import 'vant/es/tabbar/style/index.mjs'
import 'vant/es/tabbar-item/style/index.mjs'
import 'vant/es/tabs/style/index.mjs'
import 'vant/es/tag/style/index.mjs'
import 'vant/es/toast/style/index.mjs'

const COMPONENTS = [ActionSheet, Button, Cell, CellGroup, Checkbox, Empty, Field, Form, Icon, Loading, NavBar, NoticeBar, Progress, PullRefresh, Tab, Tabbar, TabbarItem, Tabs, Tag]

export default {
  install(app) {
    for (const component of COMPONENTS) app.use(component)
  },
}
