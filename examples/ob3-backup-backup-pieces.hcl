# sandbox: fixtures/live/documented-3.2.json
#
# OceanBase 3.x, piece mode: keep one copy of every frozen archive
# piece in a second destination; obbackup runs
# BACKUP BACKUPPIECE ALL NOT BACKED UP 1 TIMES whenever a piece has fewer.

cluster {
  version     = "3.2"
  backup_dest = "file:///data/nfs/backup"

  backup_dest_option {
    log_archive_checkpoint_interval   = "2m"
    recovery_window                   = "7d"
    auto_delete_obsolete_backup       = true
    log_archive_piece_switch_interval = "1d"
  }

  log_archive {
    enabled     = true
    mode        = "mandatory"
    compression = "lz4_1.0"
  }

  backup_backup {
    destination = "file:///data/nfs/backup_backup"
    pieces {
      copies = 1
    }
  }
}
