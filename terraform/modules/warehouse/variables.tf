variable "create" {
  description = "Create the loader's queues, the lake notification and (with create_cluster) the warehouse of var.kind; false creates nothing and every output is null."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name of the cluster (or the Serverless namespace and workgroup) and its companions."
  type        = string
}

variable "create_cluster" {
  description = "Create the Redshift warehouse, a cluster or Serverless as var.kind says (false in the local stack: the embedded PostgreSQL stands in)."
  type        = bool
  default     = true
}

variable "kind" {
  description = "With create_cluster: provisioned (a Redshift cluster of number_of_nodes x node_type, billed every hour) or serverless (Redshift Serverless: serverless_base_capacity RPUs, billed for the RPU-seconds it works, nothing idle). Same database, secrets, COPY role and outputs either way."
  type        = string
  default     = "provisioned"

  validation {
    condition     = contains(["provisioned", "serverless"], var.kind)
    error_message = "kind must be provisioned or serverless."
  }
}

variable "serverless_base_capacity" {
  description = "With kind = serverless: the workgroup's base capacity in Redshift Processing Units (RPUs): 8 to 1024 in steps of 8, or 4 (Redshift Serverless's range; 4 RPUs take at most 32 TB of managed storage)."
  type        = number
  default     = 8

  validation {
    condition     = var.serverless_base_capacity == 4 || (var.serverless_base_capacity >= 8 && var.serverless_base_capacity <= 1024 && var.serverless_base_capacity % 8 == 0)
    error_message = "serverless_base_capacity must be 4, or 8 to 1024 in steps of 8 (Redshift Serverless base capacity in RPUs)."
  }
}

variable "serverless_max_capacity" {
  description = "With kind = serverless: the most RPUs the workgroup may scale to (null: Redshift Serverless's own limit); a ceiling on the bill."
  type        = number
  default     = null

  validation {
    condition     = var.serverless_max_capacity == null || try(var.serverless_max_capacity == 4 || (var.serverless_max_capacity >= 8 && var.serverless_max_capacity % 8 == 0), false)
    error_message = "serverless_max_capacity must be null, 4, or a multiple of 8 RPUs."
  }
}

variable "lake_bucket_name" {
  description = "The lake bucket whose new objects are loaded."
  type        = string
}

variable "lake_bucket_arn" {
  description = "The lake bucket's ARN."
  type        = string
}

variable "lake_kms_key_arn" {
  description = "The lake's key (COPY decrypts with it)."
  type        = string
}

variable "loader_timeout_seconds" {
  description = "The loader's timeout, to size the queue's visibility timeout."
  type        = number
  default     = 120
}

variable "subnet_ids" {
  description = "Private subnets of the cluster."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups of the cluster (ingress only from the loader)."
  type        = list(string)
  default     = []
}

variable "database_name" {
  description = "Database name."
  type        = string
  default     = "sluice"
}

variable "master_username" {
  description = "Admin user; its password is managed by Redshift in Secrets Manager."
  type        = string
  default     = "sluice_admin"
}

variable "node_type" {
  description = "With kind = provisioned: the node type."
  type        = string
  default     = "ra3.xlplus"
}

variable "number_of_nodes" {
  description = "With kind = provisioned: nodes (1 makes a single-node cluster)."
  type        = number
  default     = 2

  validation {
    condition     = var.number_of_nodes >= 1 && var.number_of_nodes <= 128 && floor(var.number_of_nodes) == var.number_of_nodes
    error_message = "number_of_nodes must be a whole number from 1 to 128 (Redshift's cluster size limit)."
  }
}

variable "skip_final_snapshot" {
  description = "Skip the final snapshot on destroy (test stacks only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "alarm_topic_arn" {
  description = "SNS topic for the dead-letter alarm (null: no actions)."
  type        = string
  default     = null
}
