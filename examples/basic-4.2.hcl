# Every user tenant archives its logs to its own NFS directory and keeps data
# backups next to them. Copy this file, change the paths, and run
#   obbackup plan basic-4.2.hcl --dsn 'mysql://root%40sys:PASSWORD@HOST:2881'
# Builds: needs OceanBase 4.1.0.2 or later (log_archive.concurrency = 0).

cluster {
  version = "4.2"              # refuse to plan against another server line
}

defaults {
  log_archive {
    enabled               = true        # ALTER SYSTEM ARCHIVELOG
    mode                  = "optional"  # BINDING: optional | mandatory
    piece_switch_interval = "1d"        # 1d .. 7d
    concurrency           = 0           # log_archive_concurrency, 0 = automatic
  }
  data_backup {
    concurrency = 10                    # ha_low_thread_score, 0 .. 100
  }
}

tenant "*" {
  log_archive {
    destination = "file:///data/nfs/backup/${tenant.name}/archive"
  }
  data_backup {
    destination = "file:///data/nfs/backup/${tenant.name}/data"
  }
}
