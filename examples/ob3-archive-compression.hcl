# sandbox: fixtures/live/empty-3.2.json
#
# OceanBase 3.x: cluster-wide log archive to NFS, MANDATORY mode with
# zstd compression, pieces switched daily, a minor freeze before the archive
# starts. On 3.x everything lives in the cluster block: tenant blocks do not apply.
#   obbackup plan ob3-archive-compression.hcl --dsn 'mysql://root%40sys:PASSWORD@HOST:2881'

cluster {
  version     = "3.2"
  backup_dest = "file:///data/nfs/backup"

  backup_dest_option {
    log_archive_checkpoint_interval   = "2m"
    recovery_window                   = "7d"
    auto_delete_obsolete_backup       = true
    log_archive_piece_switch_interval = "1d"   # 0 (no pieces) or 1d .. 7d
  }

  log_archive {
    enabled                   = true
    mode                      = "mandatory"      # backup_log_archive_option
    compression               = "zstd_1.3.8"     # disable | enable | lz4_1.0 | zstd_1.3.8
    minor_freeze_before_start = true             # ALTER SYSTEM MINOR FREEZE before ARCHIVELOG
  }

  backup_concurrency = 4
}
