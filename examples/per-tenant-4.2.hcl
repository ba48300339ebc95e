# sandbox: fixtures/live/documented-4.2.json
#
# Two tenants with their own destinations: mysql_tenant on NFS, oracle_tenant on
# OSS in MANDATORY mode. Credentials come from the environment only:
#   export OB_OSS_ACCESS_ID=... OB_OSS_ACCESS_KEY=...
#   obbackup plan per-tenant-4.2.hcl --sandbox --fixture fixtures/live/documented-4.2.json
#
# Builds: needs OceanBase 4.2.1.2 or later (data_backup.file_size per tenant;
# log_archive.lag_target needs OceanBase 4.2.0.0 or later).

cluster {
  version = "4.2"
}

defaults {
  log_archive {
    enabled    = true
    lag_target = "2m"                  # archive_lag_target
  }
}

tenant "mysql_tenant" {
  log_archive {
    destination = "file:///data/nfs/backuparchive"
  }
  data_backup {
    destination = "file:///data/nfs/backup/data"
    concurrency = 10                   # ha_low_thread_score
  }
}

tenant "oracle_tenant" {
  log_archive {
    destination           = "oss://oceanbase-test-bucket/backup/archive?host=xxx.aliyun-inc.com&access_id=${env("OB_OSS_ACCESS_ID")}&access_key=${env("OB_OSS_ACCESS_KEY")}&delete_mode=tagging"
    mode                  = "mandatory"
    piece_switch_interval = "1d"
  }
  data_backup {
    destination = "oss://oceanbase-test-bucket/backup?host=xxx.aliyun-inc.com&access_id=${env("OB_OSS_ACCESS_ID")}&access_key=${env("OB_OSS_ACCESS_KEY")}&delete_mode=delete"
    file_size   = "4G"                 # backup_data_file_size
  }
}
